using System.Globalization;
using System.Net;
using System.Text;

namespace TokenGovernor;

/// <summary>
/// A self-contained HTML report a person would look at: spend over time, spend by feature and by model, savings by
/// mechanism, cache hit ratio and routing mix, drawn as inline SVG with no external assets (it opens offline and can be
/// mailed as one file). Register it as an <see cref="ICostSink"/> to collect every metered call, or build it from a spend store
/// with <see cref="FromStoreAsync"/>; add what records cannot show (savings measured against a baseline run, for example) with
/// <see cref="AddSaving"/>.
/// </summary>
/// <remarks>
/// <para>Views: spend over time (hovering a bar shows its time range), by tenant, feature and model; budget use per scope with the
/// degradations and refusals applied; savings by mechanism from the recorded traffic (they add up to the headline "Saved").
/// Savings added with <see cref="AddSaving"/> were measured in other runs, so they are shown in a card of their own and never
/// added to the headline figures.</para>
/// <para>Charts are SVGs with a <c>viewBox</c> that scale to their cards. Thread-safe.</para>
/// </remarks>
public sealed class GovernanceReport : ICostSink
{
    private static readonly string[] s_palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#4b5563"];
    private readonly object _gate = new();
    // Spend per minute, not per call: a sink that lives as long as the app keeps at most one entry per minute of traffic.
    private readonly SortedDictionary<long, decimal> _spendByMinute = [];
    private readonly Dictionary<string, decimal> _byFeature = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _byTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _measuredSavings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BudgetScopeStats> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _steps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _savings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _savingNotes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _routing = new(StringComparer.Ordinal);
    private long _calls;
    private long _cacheHits;
    private long _cacheMisses;
    private decimal _total;

    /// <summary>Initializes a new report.</summary>
    /// <param name="title">The page's title.</param>
    public GovernanceReport(string title = "TokenGovernor report")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>Gets the page's title.</summary>
    public string Title { get; }

    /// <summary>Gets the total spend recorded so far, in USD.</summary>
    public decimal TotalSpend
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <inheritdoc />
    public void Record(GovernanceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var cost = record.Cost.Total;
        lock (_gate)
        {
            _calls++;
            _total += cost;
            Add(_spendByMinute, record.Timestamp.UtcTicks / TimeSpan.TicksPerMinute, cost);
            Add(_byFeature, record.Scope.Feature ?? "(none)", cost);
            Add(_byTenant, record.Scope.Tenant ?? "(none)", cost);
            Add(_byModel, record.ModelId ?? "(unknown)", cost);
            if (record.Cache != CacheStatus.None)
            {
                _cacheHits++;
                Add(_savings, record.Cache == CacheStatus.Semantic ? "semantic cache" : "exact cache", record.CostAvoided);
            }

            if (record.Routing is { } routing)
            {
                _routing[routing.Tier] = _routing.GetValueOrDefault(routing.Tier) + 1;
                Add(_savings, "routing", Math.Max(0, routing.TopTierCost - cost));
            }

            if (record.BudgetUtilization is not null || record.Degradations.Count > 0 || record.Refusal is not null)
            {
                var key = BudgetScopeKey(record.Scope);
                if (!_budgets.TryGetValue(key, out var stats))
                {
                    _budgets[key] = stats = new BudgetScopeStats();
                }

                stats.Add(record);
                foreach (var step in record.Degradations)
                {
                    _steps[step] = _steps.GetValueOrDefault(step) + 1;
                }

                if (record.Refusal is { } refusal && !record.Degradations.Contains(refusal))
                {
                    _steps[refusal] = _steps.GetValueOrDefault(refusal) + 1;
                }
            }
        }
    }

    /// <summary>Adds a saving measured outside the records, such as a budgeted run against an unbudgeted one. It is shown in the
    /// "Measured in separate runs" card and never added to the headline, which counts the recorded traffic only.</summary>
    /// <param name="mechanism">The mechanism: <c>routing</c>, <c>caching</c>, <c>budgets</c>, <c>loop guard</c>, <c>reducer</c>, or any name.</param>
    /// <param name="amount">USD saved.</param>
    /// <param name="note">How it was measured, shown beside the bar.</param>
    public void AddSaving(string mechanism, decimal amount, string? note = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mechanism);
        lock (_gate)
        {
            Add(_measuredSavings, mechanism, amount);
            if (note is not null)
            {
                _savingNotes[mechanism] = note;
            }
        }
    }

    /// <summary>Adds cache lookups counted outside the records (for example by a separate cached pipeline).</summary>
    /// <param name="hits">Lookups answered from the cache.</param>
    /// <param name="misses">Lookups that went to the provider.</param>
    public void AddCacheLookups(long hits, long misses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hits);
        ArgumentOutOfRangeException.ThrowIfNegative(misses);
        lock (_gate)
        {
            _cacheHits += hits;
            _cacheMisses += misses;
        }
    }

    /// <summary>Adds calls answered by a routing tier, counted outside the records.</summary>
    /// <param name="tier">The tier's name.</param>
    /// <param name="calls">How many calls it answered.</param>
    public void AddRoutingMix(string tier, long calls)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tier);
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        lock (_gate)
        {
            _routing[tier] = _routing.GetValueOrDefault(tier) + calls;
        }
    }

    /// <summary>Writes the report as one self-contained HTML page.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteHtml(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ToHtml());
    }

    /// <summary>Builds a report from the records in a spend store (the app's real traffic), oldest first.</summary>
    /// <param name="store">The store.</param>
    /// <param name="title">The page's title.</param>
    /// <param name="from">The first instant included, or <see langword="null"/> for the beginning.</param>
    /// <param name="to">The first instant excluded, or <see langword="null"/> for the end.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The report.</returns>
    public static async Task<GovernanceReport> FromStoreAsync(ISpendStore store, string title = "TokenGovernor report",
        DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var report = new GovernanceReport(title);
        await foreach (var record in store.ReadAsync(from, to, cancellationToken).ConfigureAwait(false))
        {
            report.Record(record);
        }

        return report;
    }

    /// <summary>Renders the report as one self-contained HTML page.</summary>
    /// <returns>The HTML.</returns>
    public string ToHtml()
    {
        lock (_gate)
        {
            var html = new StringBuilder(32 * 1024);
            var savings = _savings.Values.Sum();
            var lookups = _cacheHits + _cacheMisses;
            html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>").Append(E(Title)).Append("</title><style>")
                .Append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#111827;background:#f9fafb}")
                .Append("h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}.sub{color:#6b7280;margin-bottom:16px}")
                .Append(".kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;min-width:150px}")
                .Append(".kpi b{display:block;font-size:22px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}")
                .Append(".card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px;min-width:0}svg{display:block;width:100%;height:auto}svg text{font-size:12px;fill:#374151}")
                .Append("svg rect:hover{opacity:.75}.note{color:#6b7280;font-size:13px;margin-top:4px}")
                .Append("</style></head><body>");
            html.Append("<h1>").Append(E(Title)).Append("</h1><div class=\"sub\">").Append(Num(_calls)).Append(" recorded calls")
                .Append(_spendByMinute.Count > 0 ? $" from {Minute(_spendByMinute.Keys.First()):yyyy-MM-dd HH:mm} to {Minute(_spendByMinute.Keys.Last()):yyyy-MM-dd HH:mm} UTC" : string.Empty)
                .Append(". Every figure on this page comes from these calls unless a card says otherwise. Generated by TokenGovernor.</div>");
            html.Append("<div class=\"kpis\">");
            Kpi(html, "Total spend", Usd(_total), "kpi-total-spend");
            Kpi(html, "Saved", Usd(savings), "kpi-saved");
            Kpi(html, "Cache hit ratio", lookups == 0 ? "n/a" : ((double)_cacheHits / lookups).ToString("P1", CultureInfo.InvariantCulture), "kpi-cache-hit-ratio");
            Kpi(html, "Average per call", _calls == 0 ? "n/a" : Usd(_total / _calls), "kpi-average");
            Kpi(html, "Degradations / refusals", $"{Num(_budgets.Values.Sum(b => b.Degraded))} / {Num(_budgets.Values.Sum(b => b.Refused))}", "kpi-degradations");
            html.Append("</div><div class=\"grid\">");

            Card(html, "Spend over time", "chart-spend-over-time", SpendOverTime());
            Card(html, "Spend by tenant", "chart-spend-by-tenant", Bars(_byTenant.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null))));
            Card(html, "Spend by feature", "chart-spend-by-feature", Bars(_byFeature.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null))));
            Card(html, "Spend by model", "chart-spend-by-model", Bars(_byModel.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null))));
            Card(html, "Budget use by scope", "chart-budgets", BudgetUse());
            Card(html, "Degradations and refusals", "chart-degradations", Bars(_steps.OrderByDescending(p => p.Value)
                .Select(p => (p.Key, (decimal)p.Value, $"{Num(p.Value)} calls", (string?)null))));
            Card(html, "Savings by mechanism", "chart-savings", Bars(_savings.OrderByDescending(p => p.Value)
                .Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null)))
                + (_savings.Count == 0 ? string.Empty : $"<div class=\"note\">Total {E(Usd(savings))}: the headline \"Saved\". Cache: what the original calls cost; routing: the same usage priced on the top tier minus what was paid.</div>"));
            if (_measuredSavings.Count > 0)
            {
                Card(html, "Measured in separate runs (not in the totals above)", "chart-measured-savings", Bars(_measuredSavings.OrderByDescending(p => p.Value)
                    .Select(p => (p.Key, p.Value, Usd(p.Value), _savingNotes.GetValueOrDefault(p.Key)))));
            }

            Card(html, "Cache hit ratio", "chart-cache", lookups == 0 ? Empty() : Bars(
            [
                ("hits", _cacheHits, $"{Num(_cacheHits)} ({(double)_cacheHits / lookups:P1})", null),
                ("misses", _cacheMisses, $"{Num(_cacheMisses)} ({(double)_cacheMisses / lookups:P1})", null),
            ]));
            var routed = _routing.Values.Sum();
            Card(html, "Routing mix", "chart-routing-mix", routed == 0 ? Empty() : Bars(_routing.OrderByDescending(p => p.Value)
                .Select(p => (p.Key, (decimal)p.Value, $"{Num(p.Value)} calls ({(double)p.Value / routed:P0})", (string?)null))));
            html.Append("</div></body></html>");
            return html.ToString();
        }
    }

    private string SpendOverTime()
    {
        if (_spendByMinute.Count == 0)
        {
            return Empty();
        }

        const int width = 560, height = 240, left = 64, bottom = 28, buckets = 24;
        var first = _spendByMinute.Keys.First();
        var last = _spendByMinute.Keys.Last() + 1;
        var span = Math.Max(1, last - first);
        var sums = new decimal[buckets];
        foreach (var (minute, cost) in _spendByMinute)
        {
            sums[Math.Min(buckets - 1, (int)((minute - first) * buckets / span))] += cost;
        }

        var max = Math.Max(sums.Max(), 0.000001m);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"Spend over time\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width}\" y2=\"{height - bottom}\" stroke=\"#9ca3af\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"14\">{E(Usd(max))}</text><text x=\"0\" y=\"{height - bottom}\">$0</text>");
        var barWidth = (width - left) / (double)buckets;
        for (var i = 0; i < buckets; i++)
        {
            var h = (double)(sums[i] / max) * (height - bottom - 20);
            var from = Minute(first + (span * i / buckets));
            var to = Minute(first + (span * (i + 1) / buckets));
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{left + (i * barWidth) + 1:0.#}\" y=\"{height - bottom - h:0.#}\" width=\"{barWidth - 2:0.#}\" height=\"{Math.Max(h, 0.5):0.#}\" fill=\"{s_palette[0]}\"><title>{from:yyyy-MM-dd HH:mm}–{to:HH:mm} UTC: {E(Usd(sums[i]))}</title></rect>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\">{Minute(first):MM-dd HH:mm}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width}\" y=\"{height - 8}\" text-anchor=\"end\">{Minute(last):MM-dd HH:mm} UTC</text></svg>");
        return svg.ToString();
    }

    private string BudgetUse()
    {
        if (_budgets.Count == 0)
        {
            return Empty();
        }

        var rows = _budgets.OrderByDescending(p => p.Value.PeakUtilization).Take(12).Select(p => (
            p.Key,
            (decimal)Math.Min(p.Value.PeakUtilization, 2),
            string.Create(CultureInfo.InvariantCulture, $"{p.Value.PeakUtilization:P0} · {p.Value.Degraded} degraded · {p.Value.Refused} refused"),
            (string?)p.Value.Describe()));
        return Bars(rows, showNotes: false, textWidth: 230)
            + "<div class=\"note\">Peak utilization of the tightest budget each scope's calls met (spent + reserved over the limit, before each call), with the calls the degradation ladder changed or refused. Hover a bar for its steps and window.</div>";
    }

    private static string BudgetScopeKey(GovernanceScope scope) =>
        string.Join(" · ", new[] { scope.Tenant, scope.Feature }.Where(v => v is not null)) is { Length: > 0 } key ? key : "(no scope)";

    private static string Bars(IEnumerable<(string Label, decimal Value, string Text, string? Note)> rows, bool showNotes = true, int textWidth = 190)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return Empty();
        }

        const int width = 560, row = 30, labelWidth = 150;
        var max = Math.Max(list.Max(r => r.Value), 0.000001m);
        var height = (list.Count * row) + 8;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\">");
        for (var i = 0; i < list.Count; i++)
        {
            var (label, value, text, note) = list[i];
            var y = (i * row) + 4;
            var w = Math.Max(1, (double)(Math.Max(0, value) / max) * (width - labelWidth - textWidth));
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 16}\"><title>{E(label)}</title>{E(Shorten(label))}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"18\" rx=\"3\" fill=\"{s_palette[i % s_palette.Length]}\">");
            svg.Append("<title>").Append(E(label)).Append(": ").Append(E(note ?? text)).Append("</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + w + 6:0.#}\" y=\"{y + 17}\">{E(text)}</text>");
        }

        svg.Append("</svg>");
        if (!showNotes)
        {
            return svg.ToString();
        }

        var notes = list.Where(r => r.Note is not null).Select(r => $"<div class=\"note\">{E(r.Label)}: {E(r.Note!)}</div>");
        return svg + string.Concat(notes);
    }

    private static string Empty() => "<div class=\"sub\">No data.</div>";

    private static void Card(StringBuilder html, string title, string id, string body) =>
        html.Append("<div class=\"card\" id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>").Append(body).Append("</div>");

    private static void Kpi(StringBuilder html, string label, string value, string id) =>
        html.Append("<div class=\"kpi\" id=\"").Append(id).Append("\">").Append(E(label)).Append("<b>").Append(E(value)).Append("</b></div>");

    private static void Add<TKey>(IDictionary<TKey, decimal> map, TKey key, decimal value) => map[key] = (map.TryGetValue(key, out var sum) ? sum : 0) + value;

    private static DateTimeOffset Minute(long minute) => new(minute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static string Shorten(string label) => label.Length <= 22 ? label : label[..21] + "…";

    /// <summary>USD with four decimals under a dollar, two above: small per-call costs stay readable.</summary>
    internal static string Usd(decimal value) => "$" + value.ToString(Math.Abs(value) < 1 ? "0.0000" : "#,0.00", CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>What one scope's calls saw of their budgets.</summary>
    private sealed class BudgetScopeStats
    {
        private readonly Dictionary<string, long> _steps = new(StringComparer.Ordinal);
        private DateTimeOffset _first = DateTimeOffset.MaxValue;
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public double PeakUtilization { get; private set; }

        public long Degraded { get; private set; }

        public long Refused { get; private set; }

        public void Add(GovernanceRecord record)
        {
            PeakUtilization = Math.Max(PeakUtilization, record.BudgetUtilization is { } u && double.IsFinite(u) ? u : 0);
            if (record.Refusal is not null)
            {
                Refused++;
            }
            else if (record.Degradations.Count > 0)
            {
                Degraded++;
            }

            foreach (var step in record.Degradations)
            {
                _steps[step] = _steps.GetValueOrDefault(step) + 1;
            }

            _first = record.Timestamp < _first ? record.Timestamp : _first;
            _last = record.Timestamp > _last ? record.Timestamp : _last;
        }

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{_first:yyyy-MM-dd HH:mm}–{_last:yyyy-MM-dd HH:mm} UTC; peak {PeakUtilization:P0}; steps: {(_steps.Count == 0 ? "none" : string.Join(", ", _steps.Select(p => $"{p.Key} ×{p.Value}")))}");
    }
}
