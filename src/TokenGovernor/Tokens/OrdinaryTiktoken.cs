using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TokenGovernor;

/// <summary>
/// Creates tiktoken tokenizers that encode text the way providers bill message content: as ordinary text, so a string such
/// as <c>&lt;|endoftext|&gt;</c> inside a message is several ordinary tokens, never one special token (tiktoken's
/// <c>encode_ordinary</c>). The vocabularies come from the Microsoft.ML.Tokenizers data packages (embedded, offline); the
/// pre-tokenization patterns are tiktoken's published ones.
/// </summary>
internal static partial class OrdinaryTiktoken
{
    public static Tokenizer O200kBase() => O200kBaseCounter().Tokenizer;

    public static Tokenizer Cl100kBase() => Cl100kBaseCounter().Tokenizer;

    /// <summary>The o200k_base tokenizer with a per-piece count memo (<see cref="PieceCountingTokenizer"/>).</summary>
    public static PieceCountingTokenizer O200kBaseCounter() =>
        Create("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", O200kPattern(), "o200k_base");

    /// <summary>The cl100k_base tokenizer with a per-piece count memo (<see cref="PieceCountingTokenizer"/>).</summary>
    public static PieceCountingTokenizer Cl100kBaseCounter() =>
        Create("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kPattern(), "cl100k_base");

    private static PieceCountingTokenizer Create(string dataAssembly, string resource, Regex pattern, string encoding)
    {
        var stream = Assembly.Load(dataAssembly).GetManifestResourceStream(resource);
        if (stream is null)
        {
            // Data package layout changed: fall back to the stock tokenizer (special-token strings then count as one token). Its
            // pre-tokenizer also splits out special tokens, so its pieces are not the pattern's: counts go to it whole.
            return new PieceCountingTokenizer(TiktokenTokenizer.CreateForEncoding(encoding), pieces: null);
        }

        using var vocab = new DeflateStream(stream, CompressionMode.Decompress);
        return new PieceCountingTokenizer(
            TiktokenTokenizer.Create(vocab, new RegexPreTokenizer(pattern, specialTokens: null), normalizer: null, specialTokens: null), pattern);
    }

    [GeneratedRegex(@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex O200kPattern();

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Cl100kPattern();
}
