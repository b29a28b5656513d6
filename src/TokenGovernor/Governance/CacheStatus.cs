namespace TokenGovernor;

/// <summary>Whether and how a response was served from a cache.</summary>
public enum CacheStatus
{
    /// <summary>Not served from a cache (a miss, a bypass, or no cache configured).</summary>
    None = 0,

    /// <summary>Served from the exact cache.</summary>
    Exact = 1,

    /// <summary>Served from the semantic cache.</summary>
    Semantic = 2,
}
