namespace TokenGovernor;

/// <summary>
/// The diagnostic ids of TokenGovernor's experimental APIs (<see cref="System.Diagnostics.CodeAnalysis.ExperimentalAttribute"/>):
/// extension points whose shape may still change in a minor version. Using one reports its id as a warning; suppress the id
/// (<c>&lt;NoWarn&gt;$(NoWarn);TGOV001&lt;/NoWarn&gt;</c>) to accept that. See docs/Architecture.md.
/// </summary>
internal static class DiagnosticIds
{
    /// <summary>Learned routing: <c>LearnedRouter</c>, its training options and examples, and the router file format.</summary>
    public const string LearnedRouting = "TGOV001";

    /// <summary>The replication hook of the semantic cache (<c>ISemanticCacheReplicator</c>, <c>SemanticCacheEntry</c>), which
    /// <c>TokenGovernor.Redis</c> implements.</summary>
    public const string SemanticCacheReplication = "TGOV002";
}
