using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="VectorIndex{T}"/>.</summary>
public sealed class VectorIndexOptions
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
