using System.Runtime.CompilerServices;

namespace TokenGovernor;

/// <summary>Arithmetic every ledger shares.</summary>
internal static class BudgetMath
{
    /// <summary>
    /// How full a budget is: <paramref name="used"/> over <paramref name="limit"/>. A zero limit is full (1) while unused and
    /// infinitely over once anything is used. Double arithmetic: utilization steers the ladder and thresholds; admission
    /// itself compares exact amounts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Utilization(double used, double limit) =>
        limit == 0 ? (used > 0 ? double.PositiveInfinity : 1) : used / limit;
}
