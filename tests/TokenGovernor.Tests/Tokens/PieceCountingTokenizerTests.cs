using System.Text;
using System.Text.Json;

namespace TokenGovernor.Tests.Tokens;

public class PieceCountingTokenizerTests
{
    private static readonly Lazy<PieceCountingTokenizer> s_o200k = new(OrdinaryTiktoken.O200kBaseCounter);
    private static readonly Lazy<PieceCountingTokenizer> s_cl100k = new(OrdinaryTiktoken.Cl100kBaseCounter);

    // Letters of several scripts and cases, digits, apostrophe suffixes, spaces, tabs, line breaks, punctuation, combining marks,
    // surrogate pairs and special-token text: every alternative of both patterns.
    private static readonly string[] s_parts =
    [
        "a", "Z", "word", "Word", "WORD", "wOrD", "é", "ß", "Ж", "дом", "中文", "日本語", "한국어", "ǅ", "ʰ", "\u0301", "e\u0301",
        "0", "7", "42", "1234567", "3.14", "'s", "'T", "'re", "'VE", "'m", "'ll", "'d", "'x", "don't", "I'M",
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "\r", "\u00A0", "\u2003",
        ".", ",", "!?", "...", "/", "//", "(", ")", "{", "}", "\"", "#", "@", "-", "_", "+=", "<|endoftext|>", "<|fim_prefix|>",
        "😀", "👍🏽", "🇫🇷", "\uD83D", "\uDE00", "→", "€", "\u200B",
    ];

    public static TheoryData<string> Encodings() => new() { "o200k_base", "cl100k_base" };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void CountTokens_RandomText_EqualsTokenizer(string encoding)
    {
        var counter = Counter(encoding);
        var random = new Random(20261204);
        for (var i = 0; i < 3_000; i++)
        {
            var text = RandomText(random, random.Next(1, 40));
            var expected = counter.Tokenizer.CountTokens(text);

            // Twice: the first count fills the memo, the second reads it.
            Assert.Equal(expected, counter.CountTokens(text));
            Assert.Equal(expected, counter.CountTokens(text));
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void CountTokens_TiktokenVectors_EqualsTokenizer(string encoding)
    {
        using var vectors = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData("tiktoken-vectors.json")));
        var counter = Counter(encoding);
        foreach (var vector in vectors.RootElement.GetProperty("texts").EnumerateArray())
        {
            var text = vector.GetProperty("text").GetString()!;
            Assert.Equal(vector.GetProperty(encoding).GetArrayLength(), counter.CountTokens(text));
            Assert.Equal(vector.GetProperty(encoding).GetArrayLength(), counter.CountTokens(text));
        }
    }

    [Fact]
    public void CountTokens_LongPiecesAndEmpty_EqualsTokenizer()
    {
        var counter = s_o200k.Value;
        foreach (var text in new[] { string.Empty, new string('a', 500), new string(' ', 300) + "x", string.Concat(Enumerable.Repeat("😀", 100)), new string('9', 80) })
        {
            Assert.Equal(counter.Tokenizer.CountTokens(text), counter.CountTokens(text));
            Assert.Equal(counter.Tokenizer.CountTokens(text), counter.CountTokens(text));
        }
    }

    [Fact]
    public void CountTokens_ConcurrentCallers_EqualTokenizer()
    {
        var counter = s_o200k.Value;
        var random = new Random(7);
        var texts = Enumerable.Range(0, 400).Select(_ => RandomText(random, random.Next(1, 30))).ToArray();
        var expected = texts.Select(t => counter.Tokenizer.CountTokens(t)).ToArray();
        var wrong = 0;
        Parallel.For(0, 8, worker =>
        {
            for (var round = 0; round < 20; round++)
            {
                for (var i = 0; i < texts.Length; i++)
                {
                    var j = (i * (worker + 1)) % texts.Length;
                    if (counter.CountTokens(texts[j]) != expected[j])
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        });

        Assert.Equal(0, wrong);
    }

    private static PieceCountingTokenizer Counter(string encoding) => encoding == "o200k_base" ? s_o200k.Value : s_cl100k.Value;

    private static string RandomText(Random random, int parts)
    {
        var text = new StringBuilder();
        for (var p = 0; p < parts; p++)
        {
            text.Append(s_parts[random.Next(s_parts.Length)]);
        }

        return text.ToString();
    }
}
