using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor.Cli;

/// <summary>
/// Runs recorded traffic through a governor configuration offline — against a provider that returns the recorded usage, on a
/// clock set to each line's time — and reports the spend, savings, degradations and refusals that configuration would have
/// produced beside the recording's. This is how a team tunes budgets and thresholds before turning them on.
/// </summary>
/// <remarks>
/// <para>The configuration is an <see cref="IConfiguration"/> with a <c>TokenGovernor</c> section, as for
/// <c>AddTokenGovernor</c> (budgets, prices, aliases), plus <c>TokenGovernor:Pipeline</c>: booleans <c>LoopGuard</c>,
/// <c>OutputBudgetHints</c>, <c>ResponseCache</c>, <c>SemanticCache</c>, <c>ModelRouting</c>, <c>Budgets</c> (default: only
/// <c>Budgets</c>) choosing the layers; metering is always on.</para>
/// <para>Lines are replayed one after another in file order. Replaying with the configuration that was live when the log was
/// recorded (and messages recorded) reproduces the live totals; lines recorded with only a token count get a synthetic prompt
/// of that size, which caches cannot match.</para>
/// </remarks>
internal static class TrafficReplayer
{
    /// <summary>Replays a log.</summary>
    /// <param name="log">The recorded calls, in order.</param>
    /// <param name="configuration">The configuration to evaluate.</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    /// <returns>The report.</returns>
    public static async Task<ReplayReport> RunAsync(IEnumerable<TrafficLogEntry> log, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        using var setup = ReplaySetup.Read(configuration, Directory.GetCurrentDirectory());
        return await RunAsync(log, configuration, setup, cancellationToken);
    }

    /// <summary>Replays a log with layers and options already read from the configuration.</summary>
    /// <param name="log">The recorded calls, in order.</param>
    /// <param name="configuration">The configuration (its <c>TokenGovernor</c> section is given to <c>AddTokenGovernor</c>).</param>
    /// <param name="setup">The layers and their options.</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    /// <returns>The report.</returns>
    public static async Task<ReplayReport> RunAsync(IEnumerable<TrafficLogEntry> log, IConfiguration configuration, ReplaySetup setup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(setup);
        var entries = log as IReadOnlyList<TrafficLogEntry> ?? [.. log];
        if (entries.Count == 0)
        {
            throw new ArgumentException("The traffic log has no calls to replay.", nameof(log));
        }

        var time = new ManualTimeProvider(entries[0].Time);
        var estimator = new TiktokenTokenEstimator();
        var withUsage = entries.Where(e => e.Usage is not null).ToList();
        var averages = withUsage.GroupBy(e => e.AnsweredModelId ?? e.ModelId ?? string.Empty, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.Average(e => e.Usage!.Value.TotalOutputTokens), StringComparer.Ordinal);
        var provider = new ReplayChatClient(estimator, averages, withUsage.Count > 0 ? (long)withUsage.Average(e => e.Usage!.Value.TotalOutputTokens) : 256);

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<ITokenEstimator>(estimator);
        foreach (var section in ReplaySetup.Sections)
        {
            services.AddSingleton(section);
        }

        services.AddTokenGovernor(configuration);
        services.AddChatClient(provider).UseTokenGovernor(p =>
        {
            if (setup.LoopGuard)
            {
                p.UseLoopGuard(setup.Loop);
            }

            if (setup.OutputBudgetHints)
            {
                p.UseOutputBudgetHints(setup.Hints);
            }

            if (setup.SemanticCache)
            {
                p.UseSemanticCache(setup.CacheEmbedder, setup.Cache);
            }
            else if (setup.ResponseCache)
            {
                p.UseResponseCache(setup.Cache);
            }

            if (setup.ModelRouting)
            {
                p.UseModelRouting(setup.Routing);
            }

            if (setup.Budgets)
            {
                p.UseBudgets(setup.Budget);
            }

            p.UseCostMetering();
        });

        await using var built = services.BuildServiceProvider();
        var client = built.GetRequiredService<IChatClient>();
        var catalog = built.GetRequiredService<PriceCatalog>();

        var tally = new Tally();
        for (var i = 0; i < entries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = entries[i];
            time.AdvanceTo(entry.Time);
            provider.Current = entry;
            provider.Index = i;
            var recordedCost = entry.Usage is { } u ? CostCalculator.Calculate(u, catalog.GetPrice(entry.AnsweredModelId ?? entry.ModelId)).Total : 0m;
            tally.Recorded(entry, recordedCost);

            var messages = entry.Messages ?? Synthesize(entry.InputTokens ?? 0, i);
            var options = new ChatOptions { ModelId = entry.ModelId, MaxOutputTokens = entry.MaxOutputTokens };
            using (GovernanceScope.Begin(entry.Scope.Tenant, entry.Scope.Feature, entry.Scope.Session, entry.Scope.Run))
            {
                try
                {
                    var response = await client.GetResponseAsync(messages, options, cancellationToken);
                    tally.Replayed(entry, recordedCost, response.GetGovernance());
                }
                catch (Exception ex) when (ex is BudgetExceededException or AgentLimitExceededException or CostCircuitOpenException)
                {
                    tally.Refused(entry, recordedCost);
                }
            }
        }

        return tally.Report(entries.Count);
    }

    // A prompt of about n tokens, distinct per line so the exact cache never matches synthetic prompts to each other.
    private static List<ChatMessage> Synthesize(int tokens, int line)
    {
        var text = new StringBuilder(tokens * 5);
        text.Append("line ").Append(line.ToString(CultureInfo.InvariantCulture));
        for (var i = 2; i < tokens; i++)
        {
            text.Append(" word");
        }

        return [new ChatMessage(ChatRole.User, text.ToString())];
    }

    private sealed class Tally
    {
        private readonly Dictionary<string, int> _degradations = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (int Calls, decimal Recorded, decimal Replayed)> _features = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _tiers = new(StringComparer.Ordinal);
        private decimal _recordedCost, _replayedCost, _cacheSavings, _routingSavings, _refusalSavings, _degradationSavings, _otherSavings;
        private int _recordedCalls, _recordedHits, _recordedRefusals, _replayedCalls, _replayedHits, _replayedRefusals;
        private TokenUsage _recordedUsage, _replayedUsage;

        public void Recorded(TrafficLogEntry entry, decimal cost)
        {
            _recordedCost += cost;
            _recordedCalls += entry.Usage is not null ? 1 : 0;
            _recordedHits += entry.Cache != CacheStatus.None ? 1 : 0;
            _recordedRefusals += entry.Refusal is not null ? 1 : 0;
            _recordedUsage += entry.Usage ?? default;
        }

        public void Replayed(TrafficLogEntry entry, decimal recordedCost, GovernanceRecord? record)
        {
            if (record is null)
            {
                return;
            }

            var cost = record.Cost.Total;
            _replayedCost += cost;
            _replayedUsage += record.Usage;
            _replayedCalls += record.ProviderCalls > 0 ? 1 : 0;
            _replayedHits += record.Cache != CacheStatus.None ? 1 : 0;
            if (record.Refusal is not null)
            {
                _replayedRefusals++; // a refusal answered with a fallback reply
            }

            foreach (var step in record.Degradations)
            {
                _degradations[step] = _degradations.GetValueOrDefault(step) + 1;
            }

            if (record.Routing is { } routing)
            {
                _tiers[routing.Tier] = _tiers.GetValueOrDefault(routing.Tier) + 1;
            }

            // Each call's saving (recorded cost - replayed cost) goes to exactly one mechanism, so the parts add up to the total:
            // a cache hit; a refusal; a call routing sent to another model; a budget degradation (its cheaper-model step, a
            // capped output, reasoning off: the budget's doing, not routing's); anything else (a different usage estimate).
            var saving = recordedCost - cost;
            var modelChanged = record.ProviderCalls > 0 && !string.Equals(record.ModelId, entry.AnsweredModelId ?? entry.ModelId, StringComparison.OrdinalIgnoreCase);
            if (record.Cache != CacheStatus.None)
            {
                _cacheSavings += saving;
            }
            else if (record.Refusal is not null)
            {
                _refusalSavings += saving;
            }
            else if (record.Routing is not null && modelChanged)
            {
                _routingSavings += saving;
            }
            else if (record.Degradations.Count > 0)
            {
                _degradationSavings += saving;
            }
            else
            {
                _otherSavings += saving;
            }

            Feature(entry, recordedCost, cost);
        }

        public void Refused(TrafficLogEntry entry, decimal recordedCost)
        {
            _replayedRefusals++;
            _refusalSavings += recordedCost;

            Feature(entry, recordedCost, 0);
        }

        public ReplayReport Report(int calls) => new()
        {
            Calls = calls,
            Recorded = new ReplayTotals(_recordedCost, _recordedCalls, _recordedHits, _recordedRefusals, _recordedUsage),
            Replayed = new ReplayTotals(_replayedCost, _replayedCalls, _replayedHits, _replayedRefusals, _replayedUsage),
            CacheSavings = _cacheSavings,
            RoutingSavings = _routingSavings,
            RefusalSavings = _refusalSavings,
            DegradationSavings = _degradationSavings,
            OtherSavings = _otherSavings,
            TierMix = new SortedDictionary<string, int>(_tiers, StringComparer.Ordinal),
            Degradations = new SortedDictionary<string, int>(_degradations, StringComparer.Ordinal),
            ByFeature = [.. _features.OrderByDescending(f => f.Value.Recorded).Select(f => new ReplayFeatureRow(f.Key, f.Value.Calls, f.Value.Recorded, f.Value.Replayed))],
        };

        private void Feature(TrafficLogEntry entry, decimal recorded, decimal replayed)
        {
            var key = entry.Scope.Feature ?? "(none)";
            var row = _features.GetValueOrDefault(key);
            _features[key] = (row.Calls + 1, row.Recorded + recorded, row.Replayed + replayed);
        }
    }
}
