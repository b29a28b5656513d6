using System.Globalization;
using CsCheck;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenGovernor.Tests.Properties;

/// <summary>
/// Binding random <c>TokenGovernor</c> sections (valid keys with valid or bad values, typos of valid keys, unknown keys) ends in a
/// clear error that names a key that was given, or in options that hold every value given: never a silent drop.
/// </summary>
public class ConfigurationBindingPropertyTests
{
    private const string Prefix = "TokenGovernor:";

    /// <summary>Keys the property draws from, each with values that are valid or not.</summary>
    private static readonly (string Key, string[] Values)[] s_keys =
    [
        ("UnknownModelPolicy", ["Throw", "zero", "Ignore", ""]),
        ("DefaultModelId", ["gpt-4o", "house-model"]),
        ("DefaultMaxOutputTokens", ["512", "0", "-3", "lots", "99999999999"]),
        ("MessageCacheCapacity", ["0", "100", "-1", "1e3"]),
        ("ReservationLease", ["00:05:00", "00:00:00.5", "8.00:00:00", "soon"]),
        ("IncludeBuiltInPrices", ["true", "False", "yes"]),
        ("UnknownKeys", ["Fail", "Explode"]),
        ("Budgets:UnscopedCalls", ["Allow", "refuse", "AssignDefault", "Deny"]),
        ("Budgets:DefaultScopeKey", ["anonymous", " "]),
        ("Budgets:Policies:0:Name", ["tenant-daily", ""]),
        ("Budgets:Policies:0:Level", ["Tenant", "Global", "Planet"]),
        ("Budgets:Policies:0:CostLimit", ["50", "0.25", "-1", "fifty"]),
        ("Budgets:Policies:0:TokenLimit", ["100000", "-5", "1.5"]),
        ("Budgets:Policies:0:RequestLimit", ["60", "0", "-2", "ten"]),
        ("Budgets:Policies:0:Window", ["Day", "minute", "Fortnight"]),
        ("Budgets:Policies:0:Mode", ["Strict", "Optimistic", "Lenient"]),
    ];

    private static readonly Gen<Dictionary<string, string?>> s_section =
        Gen.Select(Gen.Int[0, s_keys.Length - 1], Gen.Int[0, 9], Gen.Int[0, 3], Gen.Int[0, 99])
            .Array[0, 6]
            .Select(picks =>
            {
                var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (var (key, value, mutate, at) in picks)
                {
                    var (name, values) = s_keys[key];
                    settings[Prefix + (mutate == 0 ? Typo(name, at) : name)] = values[value % values.Length];
                }

                return settings;
            });

    // A one-letter typo in the last segment of a key ("CostLimt"), or an unknown key beside it.
    private static string Typo(string key, int at)
    {
        var colon = key.LastIndexOf(':');
        var last = key[(colon + 1)..];
        var typo = at % 3 == 0 ? last.Remove(at % last.Length, 1) : at % 3 == 1 ? last + "s" : "Extra" + at.ToString(CultureInfo.InvariantCulture);
        return key[..(colon + 1)] + typo;
    }

    private static bool IsKnown(string key) => s_keys.Any(k => string.Equals(Prefix + k.Key, key, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void AddTokenGovernor_RandomSections_ClearErrorOrEveryValueBound()
    {
        s_section.Sample(settings =>
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new ServiceCollection();
            services.AddTokenGovernor(config);
            using var provider = services.BuildServiceProvider();

            TokenGovernorOptions options;
            IReadOnlyList<BudgetPolicy> policies;
            try
            {
                provider.GetRequiredService<IStartupValidator>().Validate();
                options = provider.GetRequiredService<IOptions<TokenGovernorOptions>>().Value;
                policies = provider.GetRequiredService<ConfiguredBudgetPolicies>().Policies;
            }
            catch (Exception ex) when (ex is OptionsValidationException or FormatException or ArgumentException or InvalidOperationException)
            {
                // A clear error names one of the keys given (its last segment, or the policy section it is in).
                Assert.True(settings.Keys.Any(k => ex.Message.Contains(k[(k.LastIndexOf(':') + 1)..], StringComparison.OrdinalIgnoreCase) ||
                    (k.Contains(":Policies:0:", StringComparison.Ordinal) && ex.Message.Contains("Policies:0", StringComparison.Ordinal))),
                    $"The error names no key given: {ex.Message} (keys: {string.Join(", ", settings.Keys)})");
                return;
            }

            // Start-up succeeded: no key was dropped — every key is known, and its value is the one bound.
            Assert.All(settings, kv =>
            {
                Assert.True(IsKnown(kv.Key), $"'{kv.Key}' is not a setting, yet start-up succeeded: it was dropped silently.");
                AssertBound(kv.Key[Prefix.Length..], kv.Value!, options, policies);
            });
        }, iter: 300, threads: 1);
    }

    private static void AssertBound(string key, string value, TokenGovernorOptions o, IReadOnlyList<BudgetPolicy> policies)
    {
        var policy = policies.FirstOrDefault();
        var bound = key.ToUpperInvariant() switch
        {
            "UNKNOWNMODELPOLICY" => string.Equals(o.UnknownModelPolicy.ToString(), value, StringComparison.OrdinalIgnoreCase),
            "DEFAULTMODELID" => o.DefaultModelId == value,
            "DEFAULTMAXOUTPUTTOKENS" => o.DefaultMaxOutputTokens.ToString(CultureInfo.InvariantCulture) == value,
            "MESSAGECACHECAPACITY" => o.MessageCacheCapacity.ToString(CultureInfo.InvariantCulture) == value,
            "RESERVATIONLEASE" => o.ReservationLease == TimeSpan.Parse(value, CultureInfo.InvariantCulture),
            "INCLUDEBUILTINPRICES" => o.IncludeBuiltInPrices == bool.Parse(value),
            "UNKNOWNKEYS" => string.Equals(o.UnknownKeys.ToString(), value, StringComparison.OrdinalIgnoreCase),
            "BUDGETS:UNSCOPEDCALLS" => string.Equals(o.UnscopedCalls.ToString(), value, StringComparison.OrdinalIgnoreCase),
            "BUDGETS:DEFAULTSCOPEKEY" => o.DefaultScopeKey == value,
            "BUDGETS:POLICIES:0:NAME" => policy?.Name == value,
            "BUDGETS:POLICIES:0:LEVEL" => value.Equals("Global", StringComparison.OrdinalIgnoreCase) ? policy?.Level is null : string.Equals(policy?.Level?.ToString(), value, StringComparison.OrdinalIgnoreCase),
            "BUDGETS:POLICIES:0:COSTLIMIT" => policy?.CostLimit == decimal.Parse(value, CultureInfo.InvariantCulture),
            "BUDGETS:POLICIES:0:TOKENLIMIT" => policy?.TokenLimit == long.Parse(value, CultureInfo.InvariantCulture),
            "BUDGETS:POLICIES:0:REQUESTLIMIT" => policy?.RequestLimit == long.Parse(value, CultureInfo.InvariantCulture),
            "BUDGETS:POLICIES:0:WINDOW" => string.Equals(policy?.Window.ToString(), value, StringComparison.OrdinalIgnoreCase),
            "BUDGETS:POLICIES:0:MODE" => string.Equals(policy?.Mode.ToString(), value, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
        Assert.True(bound, $"'{Prefix}{key}' = '{value}' was accepted but not bound.");
    }
}
