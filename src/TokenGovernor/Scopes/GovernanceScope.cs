using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Who a call is made for, in nested levels tenant › feature › session › run, plus free-form tags. Budgets, loop limits,
/// cache partitions, metrics and cost reports are keyed by it.
/// </summary>
/// <remarks>
/// <para>Set it for a block of code with <see cref="Begin"/> (it flows across awaits and into parallel tasks started inside the
/// block, and is restored when the returned handle is disposed), or per call through <see cref="ChatOptions.AdditionalProperties"/>
/// with the keys <see cref="TenantKey"/>, <see cref="FeatureKey"/>, <see cref="SessionKey"/> and <see cref="RunKey"/>, which win over
/// the ambient scope. A nested <see cref="Begin"/> inherits every level it does not set. Instances are immutable.</para>
/// </remarks>
public sealed record GovernanceScope
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key that sets the tenant of one call.</summary>
    public const string TenantKey = "tokengovernor.tenant";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key that sets the feature of one call.</summary>
    public const string FeatureKey = "tokengovernor.feature";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key that sets the session of one call.</summary>
    public const string SessionKey = "tokengovernor.session";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key that sets the agent run of one call.</summary>
    public const string RunKey = "tokengovernor.run";

    private static readonly AsyncLocal<GovernanceScope?> s_current = new();
    private static readonly IReadOnlyDictionary<string, string> s_noTags = new Dictionary<string, string>();

    /// <summary>Gets the scope with no level set.</summary>
    public static GovernanceScope Empty { get; } = new();

    /// <summary>Gets the ambient scope of the current async flow, or <see cref="Empty"/>.</summary>
    public static GovernanceScope Current => s_current.Value ?? Empty;

    /// <summary>Gets the tenant (customer, organisation), or <see langword="null"/>.</summary>
    public string? Tenant { get; init; }

    /// <summary>Gets the product feature (for example <c>support-bot</c>), or <see langword="null"/>.</summary>
    public string? Feature { get; init; }

    /// <summary>Gets the user session or conversation, or <see langword="null"/>.</summary>
    public string? Session { get; init; }

    /// <summary>Gets the agent run (one task an agent works on), or <see langword="null"/>.</summary>
    public string? Run { get; init; }

    /// <summary>Gets free-form tags (never <see langword="null"/>).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = s_noTags;

    /// <summary>Gets the value of a level.</summary>
    /// <param name="level">The level.</param>
    /// <returns>The level's key, or <see langword="null"/> when it is not set.</returns>
    public string? Get(ScopeLevel level) => level switch
    {
        ScopeLevel.Tenant => Tenant,
        ScopeLevel.Feature => Feature,
        ScopeLevel.Session => Session,
        ScopeLevel.Run => Run,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "ScopeLevel must be Tenant, Feature, Session or Run."),
    };

    /// <summary>
    /// Makes a scope ambient for the current async flow until the returned handle is disposed. Levels left
    /// <see langword="null"/> are inherited from the enclosing scope; tags are merged (inner wins).
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="feature">The feature.</param>
    /// <param name="session">The session.</param>
    /// <param name="run">The agent run.</param>
    /// <param name="tags">Extra tags.</param>
    /// <returns>A handle that restores the enclosing scope when disposed.</returns>
    public static IDisposable Begin(string? tenant = null, string? feature = null, string? session = null, string? run = null,
        IReadOnlyDictionary<string, string>? tags = null)
    {
        var outer = s_current.Value;
        var baseScope = outer ?? Empty;
        var merged = baseScope.Tags;
        if (tags is { Count: > 0 })
        {
            var dict = new Dictionary<string, string>(baseScope.Tags, StringComparer.Ordinal);
            foreach (var kv in tags)
            {
                dict[kv.Key] = kv.Value;
            }

            merged = dict;
        }

        s_current.Value = baseScope with
        {
            Tenant = tenant ?? baseScope.Tenant,
            Feature = feature ?? baseScope.Feature,
            Session = session ?? baseScope.Session,
            Run = run ?? baseScope.Run,
            Tags = merged,
        };

        return new Restore(outer);
    }

    /// <summary>Resolves the scope of one call: the ambient scope, overridden level by level by <paramref name="options"/>.</summary>
    /// <param name="options">The call's options, or <see langword="null"/>.</param>
    /// <returns>The call's scope.</returns>
    public static GovernanceScope Resolve(ChatOptions? options)
    {
        var ambient = Current;
        if (options?.AdditionalProperties is not { Count: > 0 } props)
        {
            return ambient;
        }

        var tenant = Read(props, TenantKey);
        var feature = Read(props, FeatureKey);
        var session = Read(props, SessionKey);
        var run = Read(props, RunKey);
        if (tenant is null && feature is null && session is null && run is null)
        {
            return ambient;
        }

        return ambient with
        {
            Tenant = tenant ?? ambient.Tenant,
            Feature = feature ?? ambient.Feature,
            Session = session ?? ambient.Session,
            Run = run ?? ambient.Run,
        };
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"tenant={Tenant ?? "-"} feature={Feature ?? "-"} session={Session ?? "-"} run={Run ?? "-"}";

    private static string? Read(AdditionalPropertiesDictionary props, string key) =>
        props.TryGetValue(key, out var value) ? value?.ToString() : null;

    private sealed class Restore(GovernanceScope? outer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_current.Value = outer;
            }
        }
    }
}
