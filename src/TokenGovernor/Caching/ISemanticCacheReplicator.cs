using System.Diagnostics.CodeAnalysis;
namespace TokenGovernor;

/// <summary>
/// Shares semantic-cache entries between app instances: each instance keeps its own in-process SIMD index (so lookups never
/// leave the process), publishes the entries it stores, and adds the entries other instances publish.
/// </summary>
/// <remarks>
/// The Redis package implements this with a Redis Stream (<c>RedisSemanticCacheReplicator</c>). Implementations must be
/// thread-safe; a subscriber is called on the replicator's own thread and must not block.
/// </remarks>
[Experimental(DiagnosticIds.SemanticCacheReplication)]
public interface ISemanticCacheReplicator
{
    /// <summary>Publishes an entry this instance stored, for every other instance.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>A task that completes when the entry is published; it may fault when the shared store is unreachable.</returns>
    ValueTask PublishAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts delivering entries published by other instances — first the stored ones that have not expired (a new instance
    /// warms its index from them), then new ones as they arrive.
    /// </summary>
    /// <param name="onEntry">Called once per entry.</param>
    /// <returns>Stops the delivery when disposed.</returns>
    IDisposable Subscribe(Action<SemanticCacheEntry> onEntry);
}
