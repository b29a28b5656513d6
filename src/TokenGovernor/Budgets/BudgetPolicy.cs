namespace TokenGovernor;

/// <summary>
/// A spending limit: which scopes it applies to, how much (US dollars, tokens and/or requests), over which window, with which soft
/// thresholds and admission mode. For example "every tenant gets $50 a day":
/// <c>new BudgetPolicy("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 50m, Window = BudgetWindow.Day }</c>, or "60
/// requests a minute per tenant": <c>new BudgetPolicy("tenant-rpm") { Level = ScopeLevel.Tenant, RequestLimit = 60, Window = BudgetWindow.Minute }</c>.
/// </summary>
/// <remarks>Policies are immutable and validated by <see cref="Validate"/> when a ledger is created.</remarks>
public sealed record BudgetPolicy
{
    /// <summary>Initializes a new policy.</summary>
    /// <param name="name">A unique name, shown in errors, events and metrics.</param>
    public BudgetPolicy(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Gets the policy's unique name.</summary>
    public string Name { get; init; }

    /// <summary>Gets the scope level the policy applies to, or <see langword="null"/> for a global policy that covers every call.</summary>
    /// <value>Defaults to <see langword="null"/> (global).</value>
    public ScopeLevel? Level { get; init; }

    /// <summary>Gets the one key at <see cref="Level"/> the policy applies to (for example tenant <c>acme</c>), or
    /// <see langword="null"/> to give each key at that level its own budget.</summary>
    /// <value>Defaults to <see langword="null"/> (each key).</value>
    public string? Key { get; init; }

    /// <summary>Gets the limit in US dollars, or <see langword="null"/> for no cost limit.</summary>
    public decimal? CostLimit { get; init; }

    /// <summary>Gets the limit in tokens (input plus output), or <see langword="null"/> for no token limit.</summary>
    public long? TokenLimit { get; init; }

    /// <summary>Gets the number of calls admitted in each <see cref="Window"/>, or <see langword="null"/> for no request limit:
    /// with <see cref="BudgetWindow.Minute"/> a requests-per-minute (RPM) limit, with <see cref="BudgetWindow.Hour"/> requests per
    /// hour; every window kind works, sliding and lifetime included.</summary>
    /// <value>Defaults to <see langword="null"/>. Must be at least 1 when set.</value>
    /// <remarks>
    /// <para>Every granted reservation counts one request in the window in which it was admitted, atomically with the cost and token
    /// checks (all policies of the call or none). Settling keeps the request counted; releasing it (the call failed before anything
    /// was billed, or was never sent) and a reservation reclaimed after its lease give it back while its window is still current.</para>
    /// <para>A call refused by this limit raises <see cref="RateLimitExceededException"/> from the budget layer, whose
    /// <see cref="RateLimitExceededException.RetryAfter"/> says when the window frees a slot. Request counts do not enter
    /// <see cref="BudgetUsage.Utilization"/>, so they never trigger the degradation ladder or routing's budget pressure: a cheaper
    /// model or a shorter answer does not free a request slot.</para>
    /// </remarks>
    public long? RequestLimit { get; init; }

    /// <summary>Gets the window the limit applies to.</summary>
    /// <value>Defaults to <see cref="BudgetWindow.Day"/>.</value>
    public BudgetWindow Window { get; init; } = BudgetWindow.Day;

    /// <summary>Gets the length of a <see cref="BudgetWindow.Sliding"/> window.</summary>
    /// <value>Defaults to 24 hours.</value>
    public TimeSpan SlidingWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Gets the IANA or Windows time zone id in which calendar windows start.</summary>
    /// <value>Defaults to <c>UTC</c>.</value>
    public string TimeZoneId { get; init; } = "UTC";

    /// <summary>Gets the day a <see cref="BudgetWindow.Week"/> window starts on.</summary>
    /// <value>Defaults to <see cref="DayOfWeek.Monday"/>.</value>
    public DayOfWeek FirstDayOfWeek { get; init; } = DayOfWeek.Monday;

    /// <summary>Gets the utilization fractions (0–1) at which <see cref="IBudgetLedger.ThresholdCrossed"/> fires once per window.</summary>
    /// <value>Defaults to 0.5, 0.8 and 0.95.</value>
    public IReadOnlyList<double> SoftThresholds { get; init; } = [0.5, 0.8, 0.95];

    /// <summary>Gets how concurrent calls are admitted.</summary>
    /// <value>Defaults to <see cref="BudgetMode.Strict"/>.</value>
    public BudgetMode Mode { get; init; } = BudgetMode.Strict;

    /// <summary>Gets the key this policy gives <paramref name="scope"/>, or <see langword="null"/> when it does not apply to it.</summary>
    /// <param name="scope">The call's scope.</param>
    /// <returns>The budget key.</returns>
    public string? KeyFor(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (Level is not { } level)
        {
            return string.Empty;
        }

        var value = scope.Get(level);
        if (value is null)
        {
            return null;
        }

        return Key is null || string.Equals(Key, value, StringComparison.Ordinal) ? value : null;
    }

    /// <summary>Checks the policy and throws one exception naming it and every invalid setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        var errors = Errors();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Budget policy '{Name}' is invalid: {string.Join("; ", errors.Select(e => e.Message))}.");
        }
    }

    // Every invalid setting: the member at fault (so configuration can name its full key) and what is wrong with it.
    internal List<(string Member, string Message)> Errors()
    {
        var errors = new List<(string Member, string Message)>();
        if (CostLimit is null && TokenLimit is null && RequestLimit is null)
        {
            errors.Add((nameof(CostLimit), "set CostLimit (USD), TokenLimit (tokens) or RequestLimit (requests per window), or several"));
        }

        if (CostLimit is < 0)
        {
            errors.Add((nameof(CostLimit), $"CostLimit is {CostLimit}; it must not be negative"));
        }

        if (TokenLimit is < 0)
        {
            errors.Add((nameof(TokenLimit), $"TokenLimit is {TokenLimit}; it must not be negative"));
        }

        if (RequestLimit is < 1)
        {
            errors.Add((nameof(RequestLimit), $"RequestLimit is {RequestLimit}; it must be at least 1 (leave it empty for no request limit)"));
        }

        if (!Enum.IsDefined(Window))
        {
            errors.Add((nameof(Window), $"Window is {(int)Window}; use Minute, Hour, Day, Week, Month, Sliding or Lifetime"));
        }

        if (Window == BudgetWindow.Sliding && SlidingWindow < TimeSpan.FromSeconds(1))
        {
            errors.Add((nameof(SlidingWindow), $"SlidingWindow is {SlidingWindow}; it must be at least one second"));
        }

        if (Level is { } level && !Enum.IsDefined(level))
        {
            errors.Add((nameof(Level), $"Level is {(int)level}; use Tenant, Feature, Session, Run or leave it empty for a global policy"));
        }

        if (Key is not null && Level is null)
        {
            errors.Add((nameof(Key), "Key is set but Level is not; a key names a tenant, feature, session or run, so set Level too"));
        }

        if (!Enum.IsDefined(Mode))
        {
            errors.Add((nameof(Mode), $"Mode is {(int)Mode}; use Strict or Optimistic"));
        }

        foreach (var t in SoftThresholds ?? [])
        {
            if (t is <= 0 or > 1 || double.IsNaN(t))
            {
                errors.Add((nameof(SoftThresholds), $"SoftThresholds contains {t}; each must be in (0, 1]"));
            }
        }

        try
        {
            _ = TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            errors.Add((nameof(TimeZoneId), $"TimeZoneId '{TimeZoneId}' is not a known time zone; use an IANA id such as 'Europe/Berlin' or 'UTC'"));
        }

        return errors;
    }
}
