// Regenerates tests/TokenGovernor.Tests/TestData/tiktoken-vectors.json with OpenAI's tiktoken (the `tiktoken` npm package,
// OpenAI's Rust core compiled to WebAssembly) as the reference implementation.
// Usage: (cd /tmp/tk && npm install tiktoken@1.0.22) && NODE_PATH=/tmp/tk/node_modules node eng/gen-tiktoken-vectors.mjs
import { createRequire } from "module";
import fs from "fs";
const require = createRequire(import.meta.url);
const { get_encoding } = require("tiktoken");

const texts = [
  "",
  "hello world",
  "Hello, World!",
  "The quick brown fox jumps over the lazy dog.",
  "tiktoken is great!",
  "antidisestablishmentarianism",
  "    leading spaces and trailing spaces    ",
  "line one\nline two\r\nline three\n\n\n",
  "tabs\tand\t\tmore\ttabs",
  " ".repeat(100),
  "\n".repeat(50),
  " \n ".repeat(40),
  "Ünïcödé façade naïve café — “quotes” ‘single’ … ellipsis",
  "日本語のテキストをトークン化します。東京は日本の首都です。",
  "中文分词测试：我爱自然语言处理。",
  "한국어 텍스트 토큰화 테스트입니다.",
  "Русский текст для проверки токенизации.",
  "العربية نص للاختبار",
  "हिन्दी पाठ परीक्षण",
  "emoji 😀😃😄😁 👨‍👩‍👧‍👦 family 🏳️‍🌈 flags 🇺🇸🇯🇵",
  "🤖🤖🤖🤖🤖🤖🤖🤖🤖🤖",
  "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "public sealed class Foo : IBar { private readonly int _x = 42; public int X => _x; }",
  "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY name LIMIT 10;",
  "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}",
  "<html><body><div class=\"x\">Hi &amp; bye</div></body></html>",
  "3.14159265358979323846264338327950288419716939937510",
  "1234567890 12345 123 1 0.5 -42 1e10 0xDEADBEEF",
  "https://example.com/path/to/resource?query=value&other=123#fragment",
  "user@example.com, +1 (555) 123-4567",
  "I'm can't won't shouldn't you'll we've they'd it's",
  "CamelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_CASE",
  "a".repeat(300),
  "ab".repeat(200) + " " + "xyz".repeat(100),
  "The year 2024 had 366 days; 2025 has 365.",
  "Mixed: English, Français, Deutsch (Ä Ö Ü ß), Español (ñ), Português (ç ã õ).",
  "\u0000\u0001\u0002 control chars \u007f",
  "zero\u200Bwidth\u200Cjoiners\u200Dhere",
  "<|endoftext|> is special <|endofprompt|> and <|fim_prefix|> too",
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
];

const chats = [
  {
    name: "openai-cookbook-example",
    messages: [
      { role: "system", content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
      { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
      { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
      { role: "system", name: "example_user", content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
      { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
      { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
    ],
  },
  {
    name: "unicode-conversation",
    messages: [
      { role: "system", content: "Réponds en français. 日本語も可。" },
      { role: "user", content: "Quelle est la capitale du Japon ? 🗾" },
      { role: "assistant", content: "La capitale du Japon est Tokyo (東京)." },
      { role: "user", name: "alice", content: "Merci ! 🙏" },
    ],
  },
];

const out = { generator: "tiktoken npm 1.0.22 (OpenAI tiktoken core, WASM)", texts: [], chats: [] };
for (const encName of ["o200k_base", "cl100k_base"]) {
  const enc = get_encoding(encName);
  for (const [i, t] of texts.entries()) {
    const ids = Array.from(enc.encode_ordinary(t));
    if (!out.texts[i]) out.texts[i] = { text: t };
    out.texts[i][encName] = ids;
  }
  for (const [i, c] of chats.entries()) {
    // OpenAI's documented rule: 3 tokens per message, +1 per name, 3 tokens of reply priming.
    let n = 3;
    for (const m of c.messages) {
      n += 3;
      for (const [k, v] of Object.entries(m)) {
        n += enc.encode_ordinary(v).length;
        if (k === "name") n += 1;
      }
    }
    if (!out.chats[i]) out.chats[i] = { name: c.name, messages: c.messages };
    out.chats[i][encName] = n;
  }
  enc.free();
}
fs.writeFileSync("tests/TokenGovernor.Tests/TestData/tiktoken-vectors.json", JSON.stringify(out, null, 1) + "\n");
console.log(`${out.texts.length} texts, ${out.chats.length} chats`, out.chats.map(c => [c.name, c.o200k_base, c.cl100k_base]));
