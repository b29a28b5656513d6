namespace TokenGovernor;

/// <summary>The nested levels of a <see cref="GovernanceScope"/>, outermost first.</summary>
public enum ScopeLevel
{
    /// <summary>A customer or organisation.</summary>
    Tenant = 0,

    /// <summary>A product feature.</summary>
    Feature = 1,

    /// <summary>A user session or conversation.</summary>
    Session = 2,

    /// <summary>One agent run.</summary>
    Run = 3,
}
