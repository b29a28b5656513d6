namespace TokenGovernor;

/// <summary>Computes calendar windows in a time zone, correct across DST changes (days of 23 or 25 hours).</summary>
internal static class BudgetWindowCalculator
{
    public static (DateTimeOffset Start, DateTimeOffset End) Calendar(BudgetWindow window, TimeZoneInfo zone, DayOfWeek firstDay, DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        switch (window)
        {
            case BudgetWindow.Minute:
            case BudgetWindow.Hour:
            {
                // Offsets change on whole-hour boundaries in practice, so truncating the local clock reading is exact here
                // (including 30- and 45-minute zones) and avoids the ambiguous-hour lookups of a round trip.
                var intoWindow = window == BudgetWindow.Minute
                    ? TimeSpan.FromTicks(local.Ticks % TimeSpan.TicksPerMinute)
                    : TimeSpan.FromTicks(local.Ticks % TimeSpan.TicksPerHour);
                var start = now - intoWindow;
                return (start, start + (window == BudgetWindow.Minute ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1)));
            }

            case BudgetWindow.Day:
                return (StartOfLocalDay(local.Date, zone), StartOfLocalDay(local.Date.AddDays(1), zone));
            case BudgetWindow.Week:
            {
                var back = ((int)local.DayOfWeek - (int)firstDay + 7) % 7;
                var first = local.Date.AddDays(-back);
                return (StartOfLocalDay(first, zone), StartOfLocalDay(first.AddDays(7), zone));
            }

            case BudgetWindow.Month:
            {
                var first = new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
                return (StartOfLocalDay(first, zone), StartOfLocalDay(first.AddMonths(1), zone));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(window), window, "Only calendar windows have a start and an end.");
        }
    }

    /// <summary>The instant a local calendar day starts: local midnight, or the first valid local time after it when DST skips midnight.</summary>
    private static DateTimeOffset StartOfLocalDay(DateTime localDate, TimeZoneInfo zone)
    {
        var local = DateTime.SpecifyKind(localDate.Date, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        // For an ambiguous midnight (clocks set back across it) the earlier instant, i.e. the larger offset, starts the day.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
