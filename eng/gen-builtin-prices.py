#!/usr/bin/env python3
"""Regenerates src/TokenGovernor/Pricing/builtin-prices.json from a LiteLLM-schema price file.

Usage: python3 eng/gen-builtin-prices.py ../shared/data/litellm_model_prices.json

The built-in catalog is curated: this script lists the models we ship, the LiteLLM key each price is read
from, the provider page that publishes it, and hand-entered facts LiteLLM lacks (long-context tiers).
Prices are converted from USD per token to USD per million tokens as exact decimals (no float noise).
"""
import json, sys
from decimal import Decimal

SNAPSHOT = "2025-09-01"  # date of the LiteLLM snapshot in shared/data
OPENAI = "https://openai.com/api/pricing"
ANTHROPIC = "https://docs.anthropic.com/en/docs/about-claude/pricing"
GOOGLE = "https://ai.google.dev/gemini-api/docs/pricing"
MISTRAL = "https://mistral.ai/pricing"
DEEPSEEK = "https://api-docs.deepseek.com/quick_start/pricing"
GROQ = "https://groq.com/pricing"
TOGETHER = "https://www.together.ai/pricing"
FIREWORKS = "https://fireworks.ai/pricing"
DEEPINFRA = "https://deepinfra.com/pricing"

# (our id, provider, litellm key, source page, aliases)
MODELS = [
    ("gpt-4o", "openai", "gpt-4o", OPENAI, []),
    ("gpt-4o-mini", "openai", "gpt-4o-mini", OPENAI, []),
    ("chatgpt-4o-latest", "openai", "chatgpt-4o-latest", OPENAI, []),
    ("gpt-4.1", "openai", "gpt-4.1", OPENAI, []),
    ("gpt-4.1-mini", "openai", "gpt-4.1-mini", OPENAI, []),
    ("gpt-4.1-nano", "openai", "gpt-4.1-nano", OPENAI, []),
    ("gpt-4.5-preview", "openai", "gpt-4.5-preview", OPENAI, ["gpt-4.5"]),
    ("gpt-5", "openai", "gpt-5", OPENAI, ["gpt-5-chat-latest", "gpt-5-chat"]),
    ("gpt-5-mini", "openai", "gpt-5-mini", OPENAI, []),
    ("gpt-5-nano", "openai", "gpt-5-nano", OPENAI, []),
    ("o1", "openai", "o1", OPENAI, ["o1-preview"]),
    ("o1-mini", "openai", "o1-mini", OPENAI, []),
    ("o1-pro", "openai", "o1-pro", OPENAI, []),
    ("o3", "openai", "o3", OPENAI, []),
    ("o3-mini", "openai", "o3-mini", OPENAI, []),
    ("o3-pro", "openai", "o3-pro", OPENAI, []),
    ("o4-mini", "openai", "o4-mini", OPENAI, []),
    ("gpt-4-turbo", "openai", "gpt-4-turbo", OPENAI, ["gpt-4-turbo-preview", "gpt-4-1106-preview", "gpt-4-0125-preview"]),
    ("gpt-4", "openai", "gpt-4", OPENAI, []),
    ("gpt-3.5-turbo", "openai", "gpt-3.5-turbo-0125", OPENAI, []),
    ("claude-3-haiku", "anthropic", "claude-3-haiku-20240307", ANTHROPIC, []),
    ("claude-3-opus", "anthropic", "claude-3-opus-20240229", ANTHROPIC, ["claude-3-opus-latest"]),
    ("claude-3-5-haiku", "anthropic", "claude-3-5-haiku-20241022", ANTHROPIC, ["claude-3-5-haiku-latest"]),
    ("claude-3-5-sonnet", "anthropic", "claude-3-5-sonnet-20241022", ANTHROPIC, ["claude-3-5-sonnet-latest"]),
    ("claude-3-7-sonnet", "anthropic", "claude-3-7-sonnet-20250219", ANTHROPIC, ["claude-3-7-sonnet-latest"]),
    ("claude-sonnet-4", "anthropic", "claude-sonnet-4-20250514", ANTHROPIC, ["claude-4-sonnet"]),
    ("claude-opus-4", "anthropic", "claude-opus-4-20250514", ANTHROPIC, ["claude-4-opus"]),
    ("claude-opus-4-1", "anthropic", "claude-opus-4-1-20250805", ANTHROPIC, []),
    ("gemini-1.5-flash", "google", "gemini/gemini-1.5-flash", GOOGLE, ["gemini-1.5-flash-latest"]),
    ("gemini-1.5-pro", "google", "gemini/gemini-1.5-pro", GOOGLE, ["gemini-1.5-pro-latest"]),
    ("gemini-2.0-flash", "google", "gemini/gemini-2.0-flash", GOOGLE, []),
    ("gemini-2.0-flash-lite", "google", "gemini/gemini-2.0-flash-lite", GOOGLE, []),
    ("gemini-2.5-flash", "google", "gemini/gemini-2.5-flash", GOOGLE, []),
    ("gemini-2.5-flash-lite", "google", "gemini/gemini-2.5-flash-lite", GOOGLE, []),
    ("gemini-2.5-pro", "google", "gemini/gemini-2.5-pro", GOOGLE, []),
    ("mistral-large", "mistral", "mistral/mistral-large-latest", MISTRAL, ["mistral-large-latest"]),
    ("mistral-medium", "mistral", "mistral/mistral-medium-latest", MISTRAL, ["mistral-medium-latest"]),
    ("mistral-small", "mistral", "mistral/mistral-small-latest", MISTRAL, ["mistral-small-latest"]),
    ("codestral", "mistral", "mistral/codestral-latest", MISTRAL, ["codestral-latest"]),
    ("magistral-medium", "mistral", "mistral/magistral-medium-latest", MISTRAL, ["magistral-medium-latest"]),
    ("open-mistral-nemo", "mistral", "mistral/open-mistral-nemo", MISTRAL, ["mistral-nemo"]),
    ("pixtral-large", "mistral", "mistral/pixtral-large-latest", MISTRAL, ["pixtral-large-latest"]),
    ("deepseek-chat", "deepseek", "deepseek/deepseek-chat", DEEPSEEK, ["deepseek-v3"]),
    ("deepseek-reasoner", "deepseek", "deepseek/deepseek-reasoner", DEEPSEEK, ["deepseek-r1"]),
    ("llama-3.3-70b-versatile", "groq", "groq/llama-3.3-70b-versatile", GROQ, []),
    ("llama-3.1-8b-instant", "groq", "groq/llama-3.1-8b-instant", GROQ, []),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", TOGETHER, []),
    ("accounts/fireworks/models/llama-v3p1-405b-instruct", "fireworks_ai", "fireworks_ai/accounts/fireworks/models/llama-v3p1-405b-instruct", FIREWORKS, []),
    ("qwen/qwen3-32b", "groq", "groq/qwen/qwen3-32b", GROQ, ["qwen3-32b"]),
    ("Qwen/Qwen3-235B-A22B-fp8-tput", "together_ai", "together_ai/Qwen/Qwen3-235B-A22B-fp8-tput", TOGETHER, []),
    ("Qwen/QwQ-32B", "deepinfra", "deepinfra/Qwen/QwQ-32B", DEEPINFRA, ["qwq-32b"]),
]

# Facts the LiteLLM snapshot lacks, entered by hand from the provider page named.
LONG_CONTEXT = {
    # Anthropic, 1M-context beta: prompts over 200k input tokens are billed at these rates for the whole request.
    "claude-sonnet-4": {"thresholdTokens": 200000, "input": "6", "cachedInput": "0.6", "cacheWrite": "7.5", "output": "22.5",
                        "source": ANTHROPIC, "asOf": "2025-08-12"},
    # Google: prompts over 200k tokens; cached-input above the threshold from the same page.
    "gemini-2.5-pro": {"cachedInput": "0.625"},
}

def per_million(v):
    if v is None:
        return None
    d = (Decimal(repr(v)) * Decimal(1_000_000)).normalize()
    return format(d, "f")

def main(path):
    src = json.load(open(path))
    out = []
    for mid, provider, key, page, aliases in MODELS:
        e = src[key]
        m = {"id": mid, "provider": provider}
        m["input"] = per_million(e["input_cost_per_token"])
        if "cache_read_input_token_cost" in e: m["cachedInput"] = per_million(e["cache_read_input_token_cost"])
        elif "input_cost_per_token_cache_hit" in e: m["cachedInput"] = per_million(e["input_cost_per_token_cache_hit"])
        if e.get("cache_creation_input_token_cost"): m["cacheWrite"] = per_million(e["cache_creation_input_token_cost"])
        m["output"] = per_million(e["output_cost_per_token"])
        if "output_cost_per_reasoning_token" in e: m["reasoning"] = per_million(e["output_cost_per_reasoning_token"])
        if "max_input_tokens" in e: m["contextWindow"] = e["max_input_tokens"]
        if "max_output_tokens" in e: m["maxOutputTokens"] = e["max_output_tokens"]
        for thr in ("200k", "128k"):
            if f"input_cost_per_token_above_{thr}_tokens" in e:
                t = {"thresholdTokens": int(thr[:-1]) * 1000,
                     "input": per_million(e[f"input_cost_per_token_above_{thr}_tokens"]),
                     "output": per_million(e[f"output_cost_per_token_above_{thr}_tokens"])}
                if f"cache_read_input_token_cost_above_{thr}_tokens" in e:
                    t["cachedInput"] = per_million(e[f"cache_read_input_token_cost_above_{thr}_tokens"])
                m["longContext"] = t
        if mid in LONG_CONTEXT:
            m.setdefault("longContext", {}).update(LONG_CONTEXT[mid])
        if aliases: m["aliases"] = aliases
        m["source"] = page
        m["sourceSnapshot"] = f"LiteLLM model_prices_and_context_window.json key '{key}'"
        m["asOf"] = SNAPSHOT
        out.append(m)
    doc = {"schemaVersion": 1, "currency": "USD", "unit": "USD per 1,000,000 tokens",
           "note": "Generated by eng/gen-builtin-prices.py. Prices change: override them with PriceCatalogBuilder or a LiteLLM file.",
           "models": out}
    with open("src/TokenGovernor/Pricing/builtin-prices.json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"{len(out)} models written")

main(sys.argv[1])
