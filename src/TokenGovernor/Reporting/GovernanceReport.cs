using System.Globalization;
using System.Net;
using System.Text;

namespace TokenGovernor;

/// <summary>
/// A self-contained HTML report a person would look at: spend over time, spend by feature and by model, savings by
/// mechanism, cache hit ratio and routing mix, drawn as inline SVG with no external assets (it opens offline and can be
/// mailed as one file). Register it as an <see cref="ICostSink"/> to collect every metered call; add what records cannot
/// show (savings measured against a baseline run, for example) with <see cref="AddSaving"/>.
/// </summary>
/// <remarks>Thread-safe. Cache hits and routing tiers seen in the records are counted on their own.</remarks>
public sealed class GovernanceReport : ICostSink
{
    private static readonly string[] s_palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#4b5563"];
    private readonly object _gate = new();
    // Spend per minute, not per call: a sink that lives as long as the app keeps at most one entry per minute of traffic.
    private readonly SortedDictionary<long, decimal> _spendByMinute = [];
    private readonly Dictionary<string, decimal> _byFeature = new(StringComparer.Ordinal);
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
            Add(_byModel, record.ModelId ?? "(unknown)", cost);
            if (record.Cache != CacheStatus.None)
            {
                _cacheHits++;
                Add(_savings, "caching", record.CostAvoided);
            }

            if (record.Routing is { } routing)
            {
                _routing[routing.Tier] = _routing.GetValueOrDefault(routing.Tier) + 1;
                Add(_savings, "routing", Math.Max(0, routing.TopTierCost - cost));
            }
        }
    }

    /// <summary>Adds a saving measured outside the records, such as a budgeted run against an unbudgeted one.</summary>
    /// <param name="mechanism">The mechanism: <c>routing</c>, <c>caching</c>, <c>budgets</c>, <c>loop guard</c>, <c>reducer</c>, or any name.</param>
    /// <param name="amount">USD saved.</param>
    /// <param name="note">How it was measured, shown beside the bar.</param>
    public void AddSaving(string mechanism, decimal amount, string? note = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mechanism);
        lock (_gate)
        {
            Add(_savings, mechanism, amount);
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

    /// <summary>Renders the report as one self-contained HTML page.</summary>
    /// <returns>The HTML.</returns>
    public string ToHtml()
    {
        lock (_gate)
        {
            var html = new StringBuilder(32 * 1024);
            var savings = _savings.Values.Sum();
            var lookups = _cacheHits + _cacheMisses;
            html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(Title)).Append("</title><style>")
                .Append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#111827;background:#f9fafb}")
                .Append("h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}.sub{color:#6b7280;margin-bottom:16px}")
                .Append(".kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;min-width:150px}")
                .Append(".kpi b{display:block;font-size:22px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}")
                .Append(".card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px}svg text{font-size:12px;fill:#374151}")
                .Append("</style></head><body>");
            html.Append("<h1>").Append(E(Title)).Append("</h1><div class=\"sub\">").Append(Num(_calls)).Append(" metered calls")
                .Append(_spendByMinute.Count > 0 ? $" from {Minute(_spendByMinute.Keys.First()):yyyy-MM-dd HH:mm} to {Minute(_spendByMinute.Keys.Last()):yyyy-MM-dd HH:mm} UTC" : string.Empty)
                .Append(". Generated by TokenGovernor.</div>");
            html.Append("<div class=\"kpis\">");
            Kpi(html, "Total spend", Usd(_total), "kpi-total-spend");
            Kpi(html, "Saved", Usd(savings), "kpi-saved");
            Kpi(html, "Cache hit ratio", lookups == 0 ? "n/a" : ((double)_cacheHits / lookups).ToString("P1", CultureInfo.InvariantCulture), "kpi-cache-hit-ratio");
            Kpi(html, "Average per call", _calls == 0 ? "n/a" : Usd(_total / _calls), "kpi-average");
            html.Append("</div><div class=\"grid\">");

            Card(html, "Spend over time", "chart-spend-over-time", SpendOverTime());
            Card(html, "Spend by feature", "chart-spend-by-feature", Bars(_byFeature.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null))));
            Card(html, "Spend by model", "chart-spend-by-model", Bars(_byModel.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value, Usd(p.Value), (string?)null))));
            Card(html, "Savings by mechanism", "chart-savings", Bars(_savings.OrderByDescending(p => p.Value)
                .Select(p => (p.Key, p.Value, Usd(p.Value), _savingNotes.GetValueOrDefault(p.Key)))));
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

        const int width = 440, height = 220, left = 64, bottom = 28, buckets = 24;
        var first = _spendByMinute.Keys.First();
        var last = _spendByMinute.Keys.Last();
        var span = Math.Max(1, last - first);
        var sums = new decimal[buckets];
        foreach (var (minute, cost) in _spendByMinute)
        {
            sums[Math.Min(buckets - 1, (int)((minute - first) * buckets / span))] += cost;
        }

        var max = Math.Max(sums.Max(), 0.000001m);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width}\" y2=\"{height - bottom}\" stroke=\"#9ca3af\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"14\">{E(Usd(max))}</text><text x=\"0\" y=\"{height - bottom}\">$0</text>");
        var barWidth = (width - left) / (double)buckets;
        for (var i = 0; i < buckets; i++)
        {
            var h = (double)(sums[i] / max) * (height - bottom - 20);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{left + (i * barWidth) + 1:0.#}\" y=\"{height - bottom - h:0.#}\" width=\"{barWidth - 2:0.#}\" height=\"{h:0.#}\" fill=\"{s_palette[0]}\"><title>{E(Usd(sums[i]))}</title></rect>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\">{Minute(first):MM-dd HH:mm}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - 90}\" y=\"{height - 8}\">{Minute(last):MM-dd HH:mm}</text></svg>");
        return svg.ToString();
    }

    private static string Bars(IEnumerable<(string Label, decimal Value, string Text, string? Note)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return Empty();
        }

        const int width = 440, row = 30, labelWidth = 130, textWidth = 120;
        var max = Math.Max(list.Max(r => r.Value), 0.000001m);
        var height = (list.Count * row) + 8;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">");
        for (var i = 0; i < list.Count; i++)
        {
            var (label, value, text, note) = list[i];
            var y = (i * row) + 4;
            var w = Math.Max(1, (double)(Math.Max(0, value) / max) * (width - labelWidth - textWidth));
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 16}\">{E(Shorten(label))}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"18\" rx=\"3\" fill=\"{s_palette[i % s_palette.Length]}\">");
            svg.Append("<title>").Append(E(note ?? text)).Append("</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + w + 6:0.#}\" y=\"{y + 17}\">{E(text)}</text>");
        }

        svg.Append("</svg>");
        var notes = list.Where(r => r.Note is not null).Select(r => $"<div class=\"sub\">{E(r.Label)}: {E(r.Note!)}</div>");
        return svg + string.Concat(notes);
    }

    private static string Empty() => "<div class=\"sub\">No data.</div>";

    private static void Card(StringBuilder html, string title, string id, string body) =>
        html.Append("<div class=\"card\" id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>").Append(body).Append("</div>");

    private static void Kpi(StringBuilder html, string label, string value, string id) =>
        html.Append("<div class=\"kpi\" id=\"").Append(id).Append("\">").Append(E(label)).Append("<b>").Append(E(value)).Append("</b></div>");

    private static void Add<TKey>(IDictionary<TKey, decimal> map, TKey key, decimal value) => map[key] = (map.TryGetValue(key, out var sum) ? sum : 0) + value;

    private static DateTimeOffset Minute(long minute) => new(minute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static string Shorten(string label) => label.Length <= 18 ? label : label[..17] + "…";

    /// <summary>USD with four decimals under a dollar, two above: small per-call costs stay readable.</summary>
    internal static string Usd(decimal value) => "$" + value.ToString(Math.Abs(value) < 1 ? "0.0000" : "#,0.00", CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
