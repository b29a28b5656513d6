using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>
/// Process-wide TokenGovernor settings, bound from the <c>TokenGovernor</c> configuration section by
/// <c>AddTokenGovernor</c> and validated at start-up.
/// </summary>
/// <remarks>
/// Configuration also supplies prices and aliases, read by <see cref="PriceCatalogBuilder.AddConfiguration"/>:
/// <code>
/// "TokenGovernor": {
///   "UnknownModelPolicy": "Throw",
///   "DefaultModelId": "gpt-4o-mini",
///   "PriceFiles": [ "prices/litellm.json" ],
///   "Prices": { "my-finetune": { "Input": 3.0, "Output": 12.0, "CachedInput": 1.5 } },
///   "Aliases": { "prod-gpt4o-deployment": "gpt-4o" }
/// }
/// </code>
/// </remarks>
public sealed class TokenGovernorOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "TokenGovernor";

    /// <summary>Gets or sets what happens when a call's model has no price.</summary>
    /// <value>Defaults to <see cref="TokenGovernor.UnknownModelPolicy.Throw"/>.</value>
    [EnumDataType(typeof(UnknownModelPolicy))]
    public UnknownModelPolicy UnknownModelPolicy { get; set; } = UnknownModelPolicy.Throw;

    /// <summary>Gets or sets the catalog model whose price is used for unknown models under
    /// <see cref="TokenGovernor.UnknownModelPolicy.UseFallbackPrice"/>.</summary>
    /// <value>Defaults to <see langword="null"/>; required with that policy.</value>
    public string? FallbackModelId { get; set; }

    /// <summary>Gets or sets the model used to price calls that name none (no <c>ChatOptions.ModelId</c>, no client default).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? DefaultModelId { get; set; }

    /// <summary>Gets or sets a value indicating whether the embedded catalog of current models is loaded first.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool IncludeBuiltInPrices { get; set; } = true;

    /// <summary>Gets or sets the age in days after which the price catalog counts as stale: the first metering client built
    /// over an older catalog (by <see cref="PriceCatalog.AsOf"/> and the registered <see cref="TimeProvider"/>) logs one
    /// warning. See <see cref="PriceCatalog.StaleAfterDays"/>.</summary>
    /// <value>Defaults to <see cref="PriceCatalog.DefaultStaleAfterDays"/> (90); 1 to 36,500.</value>
    [Range(1, 36_500)]
    public int PriceCatalogStaleAfterDays { get; set; } = PriceCatalog.DefaultStaleAfterDays;

    /// <summary>Gets the LiteLLM-schema price files loaded over the built-in catalog, in order.</summary>
    public IList<string> PriceFiles { get; } = [];

    /// <summary>Gets prices set in code; they win over every other source.</summary>
    public IList<ModelPrice> Prices { get; } = [];

    /// <summary>Gets aliases set in code (alias → catalog model id).</summary>
    public IDictionary<string, string> Aliases { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the output bound used by estimates when neither the request nor the catalog gives one.</summary>
    /// <value>Defaults to 4,096 tokens.</value>
    [Range(1, 10_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = 4096;

    /// <summary>Gets the budget policies enforced by the in-memory ledger that <c>AddTokenGovernor</c> registers. Configuration adds
    /// more under <c>TokenGovernor:Budgets:Policies</c> (each with <c>Name</c>, <c>Level</c>, <c>Key</c>, <c>CostLimit</c>,
    /// <c>TokenLimit</c>, <c>RequestLimit</c>, <c>Window</c>, <c>SlidingWindow</c>, <c>TimeZoneId</c>, <c>SoftThresholds</c>, <c>Mode</c>).</summary>
    public IList<BudgetPolicy> Budgets { get; } = [];

    /// <summary>Gets or sets what a call lacking the scope a budget policy is keyed by gets (<see cref="BudgetOptions.UnscopedCalls"/>),
    /// for every <c>UseBudgets</c> layer built with these services; code given to <c>UseBudgets</c> runs after it and wins.</summary>
    /// <value>Defaults to <see cref="UnscopedCallHandling.Allow"/>. Configuration key: <c>TokenGovernor:Budgets:UnscopedCalls</c>.</value>
    [EnumDataType(typeof(UnscopedCallHandling))]
    public UnscopedCallHandling UnscopedCalls { get; set; } = UnscopedCallHandling.Allow;

    /// <summary>Gets or sets the key given to an unscoped call under <see cref="UnscopedCallHandling.AssignDefault"/>
    /// (<see cref="BudgetOptions.DefaultScopeKey"/>).</summary>
    /// <value>Defaults to <c>default</c>. Configuration key: <c>TokenGovernor:Budgets:DefaultScopeKey</c>.</value>
    [Required]
    public string DefaultScopeKey { get; set; } = "default";

    /// <summary>Gets or sets how long a budget reservation may stay unsettled before it is reclaimed.</summary>
    /// <value>Defaults to 10 minutes.</value>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets what start-up does with a key under the <c>TokenGovernor</c> section that no setting reads (a typo such as
    /// <c>Budget</c> for <c>Budgets</c>, or <c>CostLimt</c>): fail, naming the key and the nearest valid one, or log a warning.
    /// </summary>
    /// <value>Defaults to <see cref="UnknownConfigurationKeyHandling.Fail"/>.</value>
    [EnumDataType(typeof(UnknownConfigurationKeyHandling))]
    public UnknownConfigurationKeyHandling UnknownKeys { get; set; } = UnknownConfigurationKeyHandling.Fail;

    /// <summary>Gets or sets how many per-message token counts the estimator memoizes.</summary>
    /// <value>Defaults to 16,384.</value>
    [Range(0, 10_000_000)]
    public int MessageCacheCapacity { get; set; } = 16_384;
}
