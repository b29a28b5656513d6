using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TokenGovernor;

/// <summary>
/// Counts tokens as a tiktoken <see cref="Tokenizer"/> does, with a memo of counts per pre-token ("piece"): the text is split
/// by the tokenizer's own pre-tokenization pattern, each piece is looked up in a fixed-size table, and only pieces not found are
/// counted by the tokenizer (without pre-tokenizing them again).
/// </summary>
/// <remarks>
/// <para>The total is the same as <see cref="Tokenizer.CountTokens(string, bool, bool)"/>: tiktoken counts each pre-token on its
/// own and adds them up, and its pattern has no anchors or look-behind, so enumerating the pattern's matches over the whole text
/// gives the same pieces as the tokenizer's pre-tokenizer.</para>
/// <para>Why: the tokenizer looks every word up in its LRU cache (under a lock) and then in its 200k-entry vocabulary; both miss
/// the CPU caches for a word not seen just before. The memo is one 16-byte slot per piece (a 128-bit hash of the piece, with its
/// count in the low byte), in sets of four slots (64 bytes), so a lookup touches one or two cache lines. A slot holds two 64-bit words written separately: a
/// reader that sees one word of an old entry and one of a new one finds no match (both words must match its hash) and counts the
/// piece again. Thread-safe.</para>
/// </remarks>
internal sealed class PieceCountingTokenizer
{
    private const int SlotBits = 15;
    private const int MaxPieceLength = 64;
    private const int Ways = 4;

    private readonly Regex? _pieces;
    private readonly ulong[] _slots;

    /// <summary>Initializes a new counter.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="pieces">The tokenizer's pre-tokenization pattern, or <see langword="null"/> when it is not known (then every count
    /// goes to the tokenizer as a whole).</param>
    public PieceCountingTokenizer(Tokenizer tokenizer, Regex? pieces)
    {
        Tokenizer = tokenizer;
        _pieces = pieces;
        _slots = pieces is null ? [] : new ulong[2 << SlotBits];
    }

    /// <summary>Gets the tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Counts the tokens of <paramref name="text"/>, as <see cref="Tokenizer.CountTokens(string, bool, bool)"/> does.</summary>
    public int CountTokens(string text) => CountTokens(text.AsSpan());

    /// <summary>Counts the tokens of <paramref name="text"/>, as <see cref="Tokenizer.CountTokens(ReadOnlySpan{char}, bool, bool)"/> does.</summary>
    public int CountTokens(ReadOnlySpan<char> text)
    {
        if (_pieces is null)
        {
            return Tokenizer.CountTokens(text);
        }

        var total = 0;
        foreach (var match in _pieces.EnumerateMatches(text))
        {
            total += CountPiece(text.Slice(match.Index, match.Length));
        }

        return total;
    }

    private int CountPiece(ReadOnlySpan<char> piece)
    {
        if (piece.Length > MaxPieceLength)
        {
            return Tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
        }

        var hash = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(piece));
        var low = (ulong)hash;
        var high = (ulong)(hash >> 64);

        // Four slots per set (64 bytes): a piece may sit in any of them, so pieces whose hashes share a set do not evict each other.
        var set = (int)(low & ((1UL << SlotBits) - 1) & ~(ulong)(Ways - 1)) * 2;
        var tag = low & ~0xFFUL;
        var free = -1;
        for (var way = 0; way < Ways; way++)
        {
            var slot = set + (2 * way);
            var data = Volatile.Read(ref _slots[slot + 1]);
            if ((data & ~0xFFUL) == tag && Volatile.Read(ref _slots[slot]) == high)
            {
                return (int)(data & 0xFF);
            }

            if (data == 0 && free < 0)
            {
                free = slot;
            }
        }

        var count = Tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
        if (count <= 0xFF)
        {
            // A full set loses the way picked by other bits of the hash: no recency kept, no lock.
            var victim = free >= 0 ? free : set + (2 * (int)((high >> 60) & (Ways - 1)));
            Volatile.Write(ref _slots[victim], high);
            Volatile.Write(ref _slots[victim + 1], tag | (uint)count);
        }

        return count;
    }
}
