namespace TokenGovernor;

/// <summary>
/// Turns daily spend per feature into a run-rate and the spend of the coming months under growth scenarios, with cost per
/// outcome where outcomes were recorded (<c>tokengov forecast</c> is its command-line face).
/// </summary>
/// <remarks>
/// The run-rate is the average daily spend over the last <see cref="SpendForecastOptions.RunRateDays"/> days of the history
/// (a day without rows counts as zero). A scenario's 12-month multiplier m compounds monthly: month k of the projection spends
/// the monthly run-rate × m^(k/12). A projection is a planning aid, not a prediction: it assumes today's mix and prices.
/// </remarks>
internal sealed class SpendForecaster
{
    private const decimal DaysPerMonth = 365.25m / 12m;
    private readonly SpendForecastOptions _options;

    /// <summary>Initializes a new forecaster.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SpendForecaster(SpendForecastOptions? options = null)
    {
        _options = options ?? new SpendForecastOptions();
        if (_options.RunRateDays is < 1 or > 366)
        {
            throw new ArgumentException($"SpendForecastOptions.RunRateDays is {_options.RunRateDays}; use 1-366 days (28 smooths weekly cycles).", nameof(options));
        }

        if (_options.Horizons.Count == 0 || _options.Horizons.Any(h => h is < 1 or > 120))
        {
            throw new ArgumentException("SpendForecastOptions.Horizons must list 1-120 month horizons, such as 3, 6 and 12.", nameof(options));
        }

        foreach (var s in _options.Scenarios)
        {
            if (s.Low <= 0 || s.High < s.Low || double.IsNaN(s.Low) || double.IsInfinity(s.High))
            {
                throw new ArgumentException($"Growth scenario '{s.Name}' has multipliers {s.Low}-{s.High}; use positive values with Low <= High, such as 1.8-2.2.", nameof(options));
            }
        }
    }

    /// <summary>Forecasts the total and each feature.</summary>
    /// <param name="history">Daily spend rows, in any order; several rows of one day and feature add up.</param>
    /// <returns>The total first (<c>(total)</c>), then each feature by run-rate, highest first. The total carries outcomes only when
    /// they are all of one kind (<see cref="DailySpend.OutcomeKind"/>); otherwise <see cref="FeatureForecast.OutcomeKindsDiffer"/> is set.</returns>
    /// <exception cref="ArgumentException">The history is empty or has a negative spend.</exception>
    public IReadOnlyList<FeatureForecast> Forecast(IEnumerable<DailySpend> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var rows = history.ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException("The spend history is empty; give at least one day of spend.", nameof(history));
        }

        var bad = rows.FirstOrDefault(r => r.Spend < 0);
        if (bad.Spend < 0)
        {
            throw new ArgumentException($"The spend of '{bad.Feature}' on {bad.Date:yyyy-MM-dd} is negative ({bad.Spend}); spend must be zero or more.", nameof(history));
        }

        var last = rows.Max(r => r.Date);
        var first = rows.Min(r => r.Date);
        var windowStart = last.AddDays(1 - _options.RunRateDays);
        if (windowStart < first)
        {
            windowStart = first;
        }

        var windowDays = last.DayNumber - windowStart.DayNumber + 1;
        var result = new List<FeatureForecast> { Build("(total)", rows, windowStart, windowDays) };
        result.AddRange(rows.GroupBy(r => r.Feature, StringComparer.Ordinal)
            .Select(g => Build(g.Key.Length == 0 ? "(none)" : g.Key, [.. g], windowStart, windowDays))
            .OrderByDescending(f => f.DailyRunRate)
            .ThenBy(f => f.Feature, StringComparer.Ordinal));
        return result;
    }

    private FeatureForecast Build(string feature, List<DailySpend> rows, DateOnly windowStart, int windowDays)
    {
        var daily = rows.Where(r => r.Date >= windowStart).Sum(r => r.Spend) / windowDays;
        var monthly = daily * DaysPerMonth;
        var withOutcomes = rows.Where(r => r.Outcomes is not null).ToList();

        // Outcomes of different kinds never add up: an unnamed kind is its feature's own.
        var kinds = withOutcomes.Select(r => r.OutcomeKind ?? "\0" + r.Feature).Distinct(StringComparer.Ordinal).ToList();
        var differ = kinds.Count > 1;
        long? outcomes = withOutcomes.Count > 0 && !differ ? withOutcomes.Sum(r => r.Outcomes!.Value) : null;
        decimal? perOutcome = outcomes is > 0 ? withOutcomes.Sum(r => r.Spend) / outcomes.Value : null;
        var kind = kinds.Count == 1 && !kinds[0].StartsWith('\0') && kinds[0].Length > 0 ? kinds[0] : null;
        var projections = new List<ScenarioProjection>();
        foreach (var scenario in _options.Scenarios)
        {
            foreach (var months in _options.Horizons)
            {
                projections.Add(new ScenarioProjection(scenario.Name, months, Project(monthly, scenario.Low, months), Project(monthly, scenario.High, months)));
            }
        }

        return new FeatureForecast(feature, rows.Sum(r => r.Spend), decimal.Round(daily, 6), decimal.Round(monthly, 6), outcomes,
            perOutcome is { } p ? decimal.Round(p, 6) : null, projections)
        {
            OutcomeKind = kind,
            OutcomeKindsDiffer = differ,
        };
    }

    private static decimal Project(decimal monthly, double annualMultiplier, int months)
    {
        decimal total = 0;
        for (var k = 1; k <= months; k++)
        {
            total += monthly * (decimal)Math.Pow(annualMultiplier, k / 12.0);
        }

        return decimal.Round(total, 2);
    }
}
