using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>One semantic-cache entry as it travels between instances (see <see cref="ISemanticCacheReplicator"/>).</summary>
[Experimental(DiagnosticIds.SemanticCacheReplication)]
public sealed class SemanticCacheEntry
{
    /// <summary>Gets the partition: a hash of tenant, model, options, tools, system messages and recent history. Entries only
    /// match requests of their own partition, so tenants never share entries.</summary>
    public required string Partition { get; init; }

    /// <summary>Gets the question's text (the guard compares it with a new question before serving the answer).</summary>
    public required string Text { get; init; }

    /// <summary>Gets the question's embedding.</summary>
    public required ReadOnlyMemory<float> Vector { get; init; }

    /// <summary>Gets the stored answer.</summary>
    public required ChatResponse Response { get; init; }

    /// <summary>Gets what the answer cost when it was produced (reported as the saving of each hit).</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets when the entry expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }
}
