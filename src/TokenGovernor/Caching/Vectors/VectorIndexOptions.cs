using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="VectorIndex{T}"/>.</summary>
internal sealed class VectorIndexOptions
{
    /// <summary>Gets or sets the vector dimension; every vector added or searched must have it.</summary>
    /// <value>Defaults to 384.</value>
    [Range(1, 65_536)]
    public int Dimensions { get; set; } = 384;

    /// <summary>Gets or sets a value indicating whether rows are also kept as int8 (per-row scale) and scanned in that form,
    /// with the best candidates re-ranked exactly on the float rows. About 4x fewer bytes scanned per search.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Quantize { get; set; }

    /// <summary>Gets or sets how many int8 candidates are re-ranked with exact float scores.</summary>
    /// <value>Defaults to 32.</value>
    [Range(1, 4096)]
    public int RerankCandidates { get; set; } = 32;

    /// <summary>Gets or sets a value indicating whether a large partition also keeps a 1-bit code per dimension of each row and is
    /// searched by Hamming distance (popcount) first, then re-ranked exactly on the float rows. About 32x fewer bytes scanned
    /// than float rows; the codes cost <c>ceil(Dimensions / 64) × 8</c> bytes per row (48 B at 384 dimensions).</summary>
    /// <value>Defaults to <see langword="true"/>; it applies only to partitions of at least <see cref="BinaryQuantizeMinRows"/> rows.</value>
    /// <remarks>Bits are signs relative to the partition's mean row, taken when the partition reaches
    /// <see cref="BinaryQuantizeMinRows"/> rows (neural embeddings share a common direction, so raw signs would waste bits).
    /// It replaces the int8 scan (<see cref="Quantize"/>) in partitions that have codes.</remarks>
    public bool BinaryQuantize { get; set; } = true;

    /// <summary>Gets or sets the number of rows from which a partition is searched through its binary codes (see <see cref="BinaryQuantize"/>).</summary>
    /// <value>Defaults to 16,384 rows: below it an exact scan takes well under a millisecond and binary search gains less than
    /// 0.5 ms on 384 dimensions (measured in benchmarks/README.md).</value>
    [Range(1024, int.MaxValue)]
    public int BinaryQuantizeMinRows { get; set; } = 16_384;

    /// <summary>Gets or sets how many rows nearest by Hamming distance are re-ranked with exact float scores.</summary>
    /// <value>Defaults to 256: recall@1 against exact search ≥ 0.99 on clustered 384-dimension vectors shaped like sentence
    /// embeddings (benchmarks/README.md). Raise it when near-duplicates are denser than that.</value>
    [Range(1, 65_536)]
    public int BinaryRerankCandidates { get; set; } = 256;

    /// <summary>Gets or sets how long an entry lives after it is added, or <see langword="null"/> for no expiry.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public TimeSpan? TimeToLive { get; set; }

    /// <summary>Gets or sets the most memory the index's rows may use, in bytes; beyond it the least recently used entries are evicted.</summary>
    /// <value>Defaults to 256 MiB.</value>
    [Range(1024L, long.MaxValue)]
    public long MemoryCapBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Gets or sets the number of rows from which a search of one partition is split across cores.</summary>
    /// <value>Defaults to 131,072 rows. Set <see cref="int.MaxValue"/> to always scan on the calling thread.</value>
    [Range(1024, int.MaxValue)]
    public int ParallelScanThreshold { get; set; } = 131_072;
}
