namespace TokenGovernor;

/// <summary>What a <see cref="PriceCatalog"/> does when asked for a model it has no price for.</summary>
public enum UnknownModelPolicy
{
    /// <summary>Throw <see cref="UnknownModelException"/>, naming the model and how to add its price. The default.</summary>
    Throw = 0,

    /// <summary>Price the call with the configured fallback price (a conservative, usually expensive, rate).</summary>
    UseFallbackPrice = 1,

    /// <summary>Price the call at zero and log a warning once per model. Spend is under-reported; use with care.</summary>
    Zero = 2,
}
