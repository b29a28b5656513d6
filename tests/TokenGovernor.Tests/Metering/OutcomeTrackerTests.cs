namespace TokenGovernor.Tests.Metering;

public class OutcomeTrackerTests
{
    private static GovernanceRecord Call(string feature, string? run, decimal cost) =>
        new() { Scope = new GovernanceScope { Feature = feature, Run = run }, Cost = new CostBreakdown(cost, 0, 0, 0, 0), ProviderCalls = 1 };

    [Fact]
    public void RecordOutcome_SuccessAndFailure_CostPerSuccessCountsAllSpend()
    {
        var tracker = new OutcomeTracker();
        tracker.Record(Call("coding", "r1", 0.30m));
        tracker.Record(Call("coding", "r1", 0.20m));
        tracker.Record(Call("coding", "r2", 1.00m));
        tracker.Record(Call("coding", null, 0.10m)); // outside any run

        tracker.RecordOutcome(new GovernanceScope { Feature = "coding", Run = "r1" }, success: true, value: 40m);
        tracker.RecordOutcome(new GovernanceScope { Feature = "coding", Run = "r2" }, success: false);

        var row = Assert.Single(tracker.GetReport());
        Assert.Equal(2, row.Runs);
        Assert.Equal(1, row.Successes);
        Assert.Equal(0.50m, row.SpendOnSuccesses);
        Assert.Equal(1.00m, row.SpendOnFailures);
        Assert.Equal(1.60m, row.TotalSpend);
        Assert.Equal(1.60m, row.CostPerSuccess);
        Assert.Equal(40m, row.Value);
    }

    [Fact]
    public void RecordOutcome_NoRunOrSession_ThrowsExplaining()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OutcomeTracker().RecordOutcome(new GovernanceScope { Feature = "x" }, true));
        Assert.Contains("Run", ex.Message, StringComparison.Ordinal);
    }
}
