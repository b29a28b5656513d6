namespace TokenGovernor;

/// <summary>Rates that apply every day between two UTC times of day (for example a provider's peak or off-peak hours).</summary>
/// <param name="StartUtc">The UTC time of day the window opens (inclusive).</param>
/// <param name="EndUtc">The UTC time of day the window closes (exclusive). A window whose end is before its start spans midnight.</param>
/// <param name="Price">The rates inside the window.</param>
public sealed record DailyPriceWindow(TimeOnly StartUtc, TimeOnly EndUtc, ModelPrice Price)
{
    /// <summary>Gets a value indicating whether <paramref name="timeOfDayUtc"/> falls inside the window.</summary>
    /// <param name="timeOfDayUtc">A UTC time of day.</param>
    /// <returns><see langword="true"/> inside the window.</returns>
    public bool Contains(TimeOnly timeOfDayUtc) => EndUtc < StartUtc
        ? timeOfDayUtc >= StartUtc || timeOfDayUtc < EndUtc
        : timeOfDayUtc >= StartUtc && timeOfDayUtc < EndUtc;
}
