using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="SpendStoreSink"/>.</summary>
public sealed class SpendStoreSinkOptions
{
    /// <summary>Gets or sets the most records written in one transaction. Records queue while a batch is written, so under load
    /// batches fill up on their own; under light load each record is written as soon as the writer is free.</summary>
    /// <value>Defaults to 512.</value>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 512;

    /// <summary>Gets or sets the most records that may wait to be written. When the store falls this far behind, new records are
    /// dropped (counted in <see cref="SpendStoreSink.DroppedRecords"/> and logged) rather than slowing calls down.</summary>
    /// <value>Defaults to 100,000.</value>
    [Range(1, 100_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Gets or sets how many times a failed batch is written again before it is dropped.</summary>
    /// <value>Defaults to 3.</value>
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Gets or sets the wait before the first retry of a failed batch; it doubles for each further retry.</summary>
    /// <value>Defaults to 500 ms.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    internal SpendStoreSinkOptions Clone() => (SpendStoreSinkOptions)MemberwiseClone();
}
