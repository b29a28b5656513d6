#!/usr/bin/env node
// Regenerates src/TokenGovernor/Pricing/builtin-prices.json from two maintained public price tables.
//
// Usage (from the repository root):
//   node eng/gen-builtin-prices.mjs [genai-prices.tgz|""] [litellm.json] [genai-data-out.json]
// Defaults: `npm pack @pydantic/genai-prices@0.1.8` into a temporary folder, and ../shared/data/litellm_model_prices.json.
// The output depends only on those two pinned inputs and this script, so running it twice gives the same bytes.
//
// Rule where the sources disagree (docs/PriceCatalog.md): genai-prices (MIT, package 0.1.8 of 2026-09-23) is authoritative
// for every model it matches — rates, long-context tiers, dated price changes, match rules. LiteLLM (MIT, snapshot of
// 2025-09-01) only adds (a) models that no genai-prices rule matches and (b) fields genai-prices does not carry (maximum
// output tokens). Service tiers and batch rates, which neither table carries, come from the provider rules in TIER_RULES
// below, each citing its provider page.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GENAI_VERSION = '0.1.8';
const GENAI_DATE = '2026-09-23';
const LITELLM_DATE = '2025-09-01';
const OUT = 'src/TokenGovernor/Pricing/builtin-prices.json';

// Providers whose model ids are keyed bare (first one wins); every other provider's models are keyed "provider/id".
const HOME = ['openai', 'anthropic', 'google', 'mistral', 'deepseek', 'x-ai', 'cohere', 'moonshotai', 'zhipuai', 'zai', 'minimax',
  'voyageai', 'cerebras', 'groq', 'fireworks', 'together', 'cloudflare', 'perplexity', 'cursor', 'typesafe'];

// Rate keys of genai-prices → keys of the built-in file (USD per million tokens unless named per thousand).
const RATE_KEYS = {
  input_mtok: 'input', cache_read_mtok: 'cachedInput', cache_write_mtok: 'cacheWrite', cache_write_1h_mtok: 'cacheWrite1h',
  output_mtok: 'output', output_reasoning_mtok: 'reasoning', input_audio_mtok: 'inputAudio', cache_audio_read_mtok: 'cachedInputAudio',
  output_audio_mtok: 'outputAudio', input_image_mtok: 'inputImage', cache_image_read_mtok: 'cachedInputImage', output_image_mtok: 'outputImage',
  web_searches_kcount: 'webSearchPerThousand', requests_kcount: 'requestsPerThousand',
};

const OPENAI_PRICING = 'https://openai.com/api/pricing';
// Service tiers and batch, which the tables do not carry. `factor` multiplies every token rate of the standard price;
// `rates` gives a tier's published rates outright (USD per million: input, cached input, output).
const TIER_RULES = [
  { provider: 'openai', tier: 'batch', when: (id) => !/realtime|audio|transcribe|tts|image|search|moderation|whisper/.test(id), factor: '0.5',
    source: 'https://platform.openai.com/docs/guides/batch (50% of the standard rate)' },
  { provider: 'anthropic', tier: 'batch', when: () => true, factor: '0.5', source: 'https://docs.anthropic.com/en/docs/build-with-claude/batch-processing#pricing (50%)' },
  { provider: 'google', tier: 'batch', when: (id) => id.startsWith('gemini'), factor: '0.5', source: 'https://ai.google.dev/gemini-api/docs/batch-mode (50%)' },
  { provider: 'openai', tier: 'flex', when: (id) => /^(o3|o4-mini|gpt-5)/.test(id) && !/pro|image|codex|chat/.test(id), factor: '0.5',
    source: 'https://platform.openai.com/docs/guides/flex-processing (Batch API rates)' },
  { provider: 'openai', tier: 'priority', ids: {
    'gpt-5': ['2.5', '0.25', '20'], 'gpt-5.1': ['2.5', '0.25', '20'], 'gpt-5-mini': ['0.45', '0.045', '3.6'], 'o3': ['3.5', '0.875', '14'],
    'o4-mini': ['2', '0.5', '8'], 'gpt-4.1': ['3.5', '0.875', '14'], 'gpt-4.1-mini': ['0.7', '0.175', '2.8'], 'gpt-4.1-nano': ['0.2', '0.05', '0.8'],
    'gpt-4o': ['4.25', '2.125', '17'], 'gpt-4o-mini': ['0.25', '0.125', '1'] }, source: `${OPENAI_PRICING} (Priority processing)` },
  // The priority page lists these too (GPT-4o's dated snapshots; gpt-4o-2024-05-13 has no cached rate) and, in its later revision,
  // the GPT-5.2/5.4 and codex rows: 2x standard each. Models the page does not list get no priority tier (standard is charged).
  { provider: 'openai', tier: 'priority', ids: {
    'gpt-4o-2024-11-20': ['4.25', '2.125', '17'], 'gpt-4o-2024-08-06': ['4.25', '2.125', '17'], 'gpt-4o-2024-05-13': ['8.75', null, '26.25'] },
  source: 'https://openai.com/api-priority-processing/ (GPT-4o snapshots)' },
  { provider: 'openai', tier: 'priority', ids: {
    'gpt-5.4': ['5', '0.5', '30'], 'gpt-5.4-mini': ['1.5', '0.15', '9'], 'gpt-5.2': ['3.5', '0.35', '28'],
    'gpt-5-codex': ['2.5', '0.25', '20'], 'gpt-5.1-codex': ['2.5', '0.25', '20'] },
  source: 'https://openai.com/api-priority-processing/ (later revision with GPT-5.x rows, read from its copy at openai-dotcom-dun.vercel.app/api-priority-processing)' },
  // Gemini flex and priority, only for the models whose genai-prices entry states them (its price_comments cite Google's page).
  { provider: 'google', tier: 'flex', when: (id, m) => /Flex tiers offer 50% discount/.test(m.price_comments ?? ''), factor: '0.5',
    source: 'https://ai.google.dev/gemini-api/docs/pricing (Flex 50%, as stated in genai-prices 0.1.8 price_comments)' },
  { provider: 'google', tier: 'priority', when: (id, m) => /Priority tier is 1\.8x/.test(m.price_comments ?? ''), factor: '1.8',
    source: 'https://ai.google.dev/gemini-api/docs/pricing (Priority 1.8x, as stated in genai-prices 0.1.8 price_comments)' },
];

function loadGenAi(tgz) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-prices-'));
  if (!tgz) {
    execFileSync('npm', ['pack', `@pydantic/genai-prices@${GENAI_VERSION}`, '--silent', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    tgz = path.join(dir, `pydantic-genai-prices-${GENAI_VERSION}.tgz`);
  }
  execFileSync('tar', ['xzf', tgz, '-C', dir]);
  const src = fs.readFileSync(path.join(dir, 'package/dist/index.js'), 'utf8');
  // The package's bundle starts with the provider table as one array literal; evaluate just that literal.
  const start = src.indexOf('[');
  const end = src.indexOf('\n], J = {');
  if (!src.startsWith('const E = [') || end < 0) throw new Error('unexpected genai-prices bundle layout; update loadGenAi');
  return Function(`"use strict"; return ${src.slice(start, end + 2)};`)();
}

const dec = (x) => {
  // Exact decimal text of a JS number as written in the source table (no float noise: numbers are short literals).
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`bad price ${x}`);
  let s = String(x);
  if (/e/i.test(s)) s = x.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
  return s;
};

function mulDec(a, f) {
  // Decimal multiply of two short decimal strings, exactly.
  const [ai, af = ''] = a.split('.'); const [fi, ff = ''] = f.split('.');
  const scale = af.length + ff.length;
  const n = BigInt(ai + af) * BigInt(fi + ff);
  let s = n.toString().padStart(scale + 1, '0');
  if (scale) s = `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

function convertRates(prices) {
  const rates = {}; let tier = null; const tiered = {};
  for (const [k, v] of Object.entries(prices)) {
    const key = RATE_KEYS[k];
    if (!key) continue; // per-page, per-hour and per-character units are not token rates the library bills
    if (typeof v === 'object') {
      rates[key] = dec(v.base);
      if (v.tiers.length !== 1) throw new Error('more than one tier');
      const t = v.tiers[0];
      if (tier !== null && tier !== t.start) throw new Error('mixed tier starts');
      tier = t.start; tiered[key] = dec(t.price);
    } else rates[key] = dec(v);
  }
  if (rates.input === undefined) rates.input = '0';
  if (rates.output === undefined) rates.output = '0';
  if (tier !== null) {
    // Every token rate is written out in the tier: genai-prices keeps an untiered rate at its base price above the threshold.
    const lc = { thresholdTokens: tier };
    for (const [k, v] of Object.entries(rates)) if (!k.endsWith('PerThousand')) lc[k] = tiered[k] ?? v;
    rates.longContext = lc;
  }
  return rates;
}

function scaleRates(rates, factor) {
  const out = {};
  for (const [k, v] of Object.entries(rates)) {
    if (k === 'longContext') { out.longContext = scaleRates(v, factor); out.longContext.thresholdTokens = v.thresholdTokens; }
    else if (k === 'thresholdTokens' || k.endsWith('PerThousand')) out[k] = v;
    else out[k] = mulDec(v, factor);
  }
  return out;
}

// Match clauses are kept as genai-prices writes them: {equals|starts_with|ends_with|contains|regex} or {or|and: [...]}.
function matches(clause, id) {
  if (clause.or) return clause.or.some((c) => matches(c, id));
  if (clause.and) return clause.and.every((c) => matches(c, id));
  const t = id.toLowerCase();
  if ('equals' in clause) return t === clause.equals.toLowerCase();
  if ('starts_with' in clause) return t.startsWith(clause.starts_with.toLowerCase());
  if ('ends_with' in clause) return t.endsWith(clause.ends_with.toLowerCase());
  if ('contains' in clause) return t.includes(clause.contains.toLowerCase());
  if ('regex' in clause) return new RegExp(clause.regex).test(t);
  return false;
}

function equalsOf(clause, out = []) {
  if (clause.or) clause.or.forEach((c) => equalsOf(c, out));
  else if ('equals' in clause) out.push(clause.equals);
  return out;
}

function main() {
  const [tgz, litellmPath = '../shared/data/litellm_model_prices.json', dumpGenAi] = process.argv.slice(2);
  const providers = loadGenAi(tgz || undefined);
  // Optionally write genai-prices' provider table as plain JSON (genai-prices data.json shape): the held-out coverage check
  // (benchmarks --price-coverage) and `tokengov prices import --from` read it.
  if (dumpGenAi) fs.writeFileSync(dumpGenAi, JSON.stringify(providers));
  const litellm = JSON.parse(fs.readFileSync(litellmPath, 'utf8'));
  // First-party providers, then the clouds and the broad resellers whose prices follow the labs', then the rest as listed.
  const ORDER = [...HOME, 'aws', 'azure', 'openrouter'];
  const rank = (id) => { const i = ORDER.indexOf(id); return i < 0 ? (id === 'github-copilot' || id === 'quicksilverpro' ? 2000 : 1000) : i; };
  const ordered = [...providers].sort((a, b) => rank(a.id) - rank(b.id));
  const used = new Set();
  const models = [];
  const stats = { genai: 0, litellm: 0, dated: 0, tiers: 0, datedTiers: 0 };
  for (const p of ordered) {
    const source = (p.pricing_urls && p.pricing_urls[0]) || `genai-prices ${p.id}`;
    for (const m of p.models) {
      // Bare only for a first-party provider, and only when no other first-party provider claims the id
      // (Vertex's Claude models are "google/claude-…", Anthropic's are bare).
      const claimedElsewhere = ordered.some((o) => o.id !== p.id && HOME.includes(o.id) && o.model_match && matches(o.model_match, m.id));
      let key = HOME.includes(p.id) && !claimedElsewhere && !used.has(m.id.toLowerCase()) ? m.id : `${p.id}/${m.id}`;
      if (used.has(key.toLowerCase())) key = `${p.id}/${m.id}#${models.length}`;
      used.add(key.toLowerCase());
      const entries = Array.isArray(m.prices) ? m.prices : [{ prices: m.prices }];
      const dated = entries.filter((e) => !e.constraint || e.constraint.type === 'start_date');
      const daily = entries.filter((e) => e.constraint && e.constraint.type === 'time_of_date');
      let current = dated[dated.length - 1];
      // A price with one daily window (DeepSeek's peak hours): the window's rates become the base, so a call priced without
      // a time gets the standard rate, and the unconstrained rates become the complementary window (the off-peak discount).
      if (daily.length === 1 && dated.length === 1 && !current.constraint) {
        const w = daily[0];
        daily[0] = { constraint: { type: 'time_of_date', start_time: w.constraint.end_time, end_time: w.constraint.start_time }, prices: current.prices };
        current = { prices: w.prices };
        dated[0] = current;
      }
      const out = { id: key, provider: p.id };
      if (m.name) out.name = m.name;
      out.match = m.match;
      if (m.context_window) out.contextWindow = m.context_window;
      const ll = litellm[m.id] ?? litellm[`${p.id}/${m.id}`];
      if (ll && Number.isInteger(ll.max_output_tokens)) out.maxOutputTokens = ll.max_output_tokens;
      out.rates = convertRates(current.prices);
      if (current.constraint) out.effectiveFrom = current.constraint.start_date;
      // Service tiers for one set of rates. A rule given as a factor of the standard rate applies to every dated price (a
      // batch call made before a price change is billed at half the rate of its day); a rule that lists a tier's published
      // rates applies to the current price only, because the page gives no rates for earlier days.
      const tiersOf = (rates, current) => {
        const tiers = {};
        for (const rule of TIER_RULES) {
          if (rule.provider !== p.id) continue;
          if (rule.ids && rule.ids[m.id]) {
            if (!current) continue;
            const [i, c, o] = rule.ids[m.id];
            tiers[rule.tier] = c === null ? { input: i, output: o, source: rule.source } : { input: i, cachedInput: c, output: o, source: rule.source };
          } else if (rule.factor && rule.when(m.id.toLowerCase(), m) && !m.deprecated) {
            tiers[rule.tier] = { ...scaleRates(rates, rule.factor), source: rule.source };
          }
        }
        return Object.keys(tiers).length ? tiers : null;
      };
      if (dated.length > 1) {
        out.history = dated.slice(0, -1).map((e) => {
          const h = { ...(e.constraint ? { effectiveFrom: e.constraint.start_date } : {}), rates: convertRates(e.prices) };
          const earlierTiers = tiersOf(h.rates, false);
          if (earlierTiers) { h.serviceTiers = earlierTiers; stats.datedTiers++; }
          return h;
        });
        stats.dated++;
      }
      if (daily.length) out.daily = daily.map((e) => ({ startUtc: e.constraint.start_time, endUtc: e.constraint.end_time, rates: convertRates(e.prices) }));
      const tiers = tiersOf(out.rates, true);
      if (tiers) { out.serviceTiers = tiers; stats.tiers++; }
      if (m.deprecated) out.deprecated = true;
      out.source = source;
      out.origin = `genai-prices ${GENAI_VERSION}`;
      out.asOf = GENAI_DATE;
      models.push(out);
      stats.genai++;
    }
  }

  // LiteLLM adds only models that no genai-prices rule claims: a key with a provider prefix (together_ai/…, groq/…) is checked
  // against that provider's rules only, so a reseller's own price is kept; an unprefixed key against every rule.
  const allRules = providers.flatMap((p) => p.models.map((m) => m.match));
  const LITELLM_PROVIDER = { gemini: 'google', vertex_ai: 'google', bedrock: 'aws', bedrock_converse: 'aws', together_ai: 'together',
    fireworks_ai: 'fireworks', xai: 'x-ai', azure_ai: 'azure', text_completion_openai: 'openai', cohere_chat: 'cohere' };
  const rulesOf = (litellmProvider) => {
    const id = LITELLM_PROVIDER[litellmProvider] ?? (litellmProvider?.startsWith('vertex_ai') ? 'google' : litellmProvider);
    const p = providers.find((x) => x.id === id);
    return p ? p.models.map((m) => m.match) : [];
  };
  for (const [name, e] of Object.entries(litellm).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (name === 'sample_spec' || typeof e !== 'object') continue;
    if (!['chat', 'completion', 'responses', 'embedding'].includes(e.mode)) continue;
    if (typeof e.input_cost_per_token !== 'number') continue;
    const bare = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
    const rules = name.includes('/') ? rulesOf(e.litellm_provider) : allRules;
    if (rules.some((r) => matches(r, name) || matches(r, bare))) continue;
    if (used.has(name.toLowerCase())) continue;
    used.add(name.toLowerCase());
    const perM = (v) => (typeof v === 'number' ? mulDec(dec(v), '1000000') : undefined);
    const rates = { input: perM(e.input_cost_per_token), output: perM(e.output_cost_per_token ?? 0) };
    if (e.cache_read_input_token_cost !== undefined) rates.cachedInput = perM(e.cache_read_input_token_cost);
    if (e.cache_creation_input_token_cost) rates.cacheWrite = perM(e.cache_creation_input_token_cost);
    if (e.output_cost_per_reasoning_token !== undefined) rates.reasoning = perM(e.output_cost_per_reasoning_token);
    if (e.input_cost_per_audio_token !== undefined) rates.inputAudio = perM(e.input_cost_per_audio_token);
    if (e.output_cost_per_audio_token !== undefined) rates.outputAudio = perM(e.output_cost_per_audio_token);
    for (const thr of ['200k', '128k']) {
      if (typeof e[`input_cost_per_token_above_${thr}_tokens`] === 'number') {
        const lc = { thresholdTokens: parseInt(thr, 10) * 1000 };
        for (const [k, v] of Object.entries(rates)) lc[k] = v;
        lc.input = perM(e[`input_cost_per_token_above_${thr}_tokens`]);
        if (typeof e[`output_cost_per_token_above_${thr}_tokens`] === 'number') lc.output = perM(e[`output_cost_per_token_above_${thr}_tokens`]);
        if (typeof e[`cache_read_input_token_cost_above_${thr}_tokens`] === 'number') lc.cachedInput = perM(e[`cache_read_input_token_cost_above_${thr}_tokens`]);
        rates.longContext = lc;
        break;
      }
    }
    const out = { id: name, provider: e.litellm_provider ?? 'litellm', match: { equals: name } };
    if (Number.isInteger(e.max_input_tokens)) out.contextWindow = e.max_input_tokens;
    if (Number.isInteger(e.max_output_tokens)) out.maxOutputTokens = e.max_output_tokens;
    out.rates = rates;
    if (typeof e.input_cost_per_token_batches === 'number' && typeof e.output_cost_per_token_batches === 'number') {
      out.serviceTiers = { batch: { input: perM(e.input_cost_per_token_batches), output: perM(e.output_cost_per_token_batches), source: 'LiteLLM *_batches' } };
    }
    out.source = typeof e.source === 'string' ? e.source : `LiteLLM model_prices_and_context_window.json key '${name}'`;
    out.origin = 'LiteLLM';
    out.asOf = LITELLM_DATE;
    models.push(out);
    stats.litellm++;
  }

  const doc = {
    schemaVersion: 2,
    currency: 'USD',
    unit: 'USD per 1,000,000 tokens; *PerThousand fields per 1,000 calls',
    asOf: GENAI_DATE,
    generator: 'eng/gen-builtin-prices.mjs',
    sources: [
      { name: 'genai-prices', version: GENAI_VERSION, date: GENAI_DATE, licence: 'MIT', url: 'https://github.com/pydantic/genai-prices' },
      { name: 'LiteLLM model_prices_and_context_window.json', date: LITELLM_DATE, licence: 'MIT', url: 'https://github.com/BerriAI/litellm' },
    ],
    rule: 'genai-prices wins for every model it matches; LiteLLM adds unmatched models and max output tokens; service tiers from provider pages.',
    providers: ordered.map((p) => ({
      id: p.id,
      ...(p.model_match ? { modelMatch: p.model_match } : {}),
      ...(p.provider_match ? { providerMatch: p.provider_match } : {}),
      ...(p.fallback_model_providers ? { fallbackProviders: p.fallback_model_providers } : {}),
      home: HOME.includes(p.id),
    })),
    models,
  };
  // One model per line: reviewable diffs, still plain JSON.
  const lines = [];
  lines.push('{');
  for (const k of Object.keys(doc)) {
    if (k === 'models' || k === 'providers') continue;
    lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(doc[k])},`);
  }
  lines.push('  "providers": [');
  lines.push(doc.providers.map((p) => `    ${JSON.stringify(p)}`).join(',\n'));
  lines.push('  ],');
  lines.push('  "models": [');
  lines.push(models.map((m) => `    ${JSON.stringify(m)}`).join(',\n'));
  lines.push('  ]');
  lines.push('}');
  fs.writeFileSync(OUT, `${lines.join('\n')}\n`);
  console.log(`${models.length} models written (${stats.genai} genai-prices, ${stats.litellm} LiteLLM-only, ${stats.dated} with dated prices, ${stats.tiers} with service tiers, ${stats.datedTiers} dated earlier prices with service tiers)`);
  // Keep the equals-clause helper reachable for future alias export.
  void equalsOf;
}

main();
