using System.Globalization;

namespace TokenGovernor;

/// <summary>What the SQL spend stores share: the group-by columns of a grouping and the totals built from a result row.</summary>
internal static class SpendSql
{
    public static IReadOnlyList<string> GroupColumns(SpendGrouping grouping)
    {
        if ((grouping & ~(SpendGrouping.Tenant | SpendGrouping.Feature | SpendGrouping.Model | SpendGrouping.Day)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(grouping), grouping, "SpendQuery.GroupBy combines Tenant, Feature, Model and Day only.");
        }

        var columns = new List<string>(4);
        if (grouping.HasFlag(SpendGrouping.Tenant))
        {
            columns.Add("tenant");
        }

        if (grouping.HasFlag(SpendGrouping.Feature))
        {
            columns.Add("feature");
        }

        if (grouping.HasFlag(SpendGrouping.Model))
        {
            columns.Add("model");
        }

        if (grouping.HasFlag(SpendGrouping.Day))
        {
            columns.Add("day");
        }

        return columns;
    }

    public static SpendTotal Total(SpendGrouping grouping, string[] keys, long calls, decimal cost, decimal avoided, long input, long output)
    {
        var i = 0;
        return new SpendTotal
        {
            Tenant = grouping.HasFlag(SpendGrouping.Tenant) ? keys[i++] : null,
            Feature = grouping.HasFlag(SpendGrouping.Feature) ? keys[i++] : null,
            Model = grouping.HasFlag(SpendGrouping.Model) ? keys[i++] : null,
            Day = grouping.HasFlag(SpendGrouping.Day) ? DateOnly.ParseExact(keys[i++], "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            Calls = calls,
            Cost = cost,
            CostAvoided = avoided,
            InputTokens = input,
            OutputTokens = output,
        };
    }
}
