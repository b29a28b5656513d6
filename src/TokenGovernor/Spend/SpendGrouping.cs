namespace TokenGovernor;

/// <summary>The columns a <see cref="SpendQuery"/> groups by; combine them (<c>Tenant | Feature</c>). <see cref="None"/> gives one total.</summary>
[Flags]
#pragma warning disable CA1711 // "Grouping" names what the flags are; it is not a collection type.
public enum SpendGrouping
#pragma warning restore CA1711
{
    /// <summary>No grouping: one total over the whole range.</summary>
    None = 0,

    /// <summary>By tenant.</summary>
    Tenant = 1,

    /// <summary>By feature.</summary>
    Feature = 2,

    /// <summary>By the model that answered.</summary>
    Model = 4,

    /// <summary>By UTC calendar day of the call's start.</summary>
    Day = 8,
}
