using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Testing;

/// <summary>
/// Property tests every ledger runs: random sequences of reserve, settle, release and clock advance never take a strict budget
/// over its limit, settle each reservation at most once, and leave nothing held once every reservation is closed.
/// </summary>
#pragma warning disable CA1707, CA1515, CA2007 // test names, public test class
public abstract partial class BudgetLedgerContractTests
{
    private const decimal PropertyCostLimit = 1m;
    private const long PropertyTokenLimit = 1_000;

    private static readonly BudgetWindow[] s_propertyWindows = [BudgetWindow.Minute, BudgetWindow.Hour, BudgetWindow.Day, BudgetWindow.Sliding, BudgetWindow.Lifetime];

    /// <summary>Gets how many random sequences the ledger properties try (a durable ledger may use fewer: each step is a commit).</summary>
    protected virtual int PropertyIterations => 200;

    /// <summary>One step: 0–3 reserve, 4–5 settle, 6–7 release, 8 a short clock advance (seconds), 9 a long one (minutes).</summary>
    private readonly record struct LedgerStep(int Kind, int Tenant, int Cents, int Tokens, int Pick, int Percent);

    private static Gen<LedgerStep> StepGen { get; } = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1], Gen.Int[0, 60], Gen.Int[0, 400], Gen.Int[0, 1_000], Gen.Int[0, 100],
        (kind, tenant, cents, tokens, pick, percent) => new LedgerStep(kind, tenant, cents, tokens, pick, percent));

    private static Gen<(int Window, LedgerStep[] Steps)> SequenceGen { get; } =
        Gen.Select(Gen.Int[0, s_propertyWindows.Length - 1], StepGen.Array[1, 40]);

    [SkippableFact]
    public void RandomSequences_StrictLimits_NeverExceededAndNothingLeftHeld()
    {
        SequenceGen.Sample(sequence => RunSequence(sequence.Window, sequence.Steps).GetAwaiter().GetResult(), iter: PropertyIterations, threads: 1);
    }

    private async Task RunSequence(int windowIndex, LedgerStep[] steps)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 59, 30, TimeSpan.Zero));
        var window = s_propertyWindows[windowIndex];
        var ledger = CreateLedger(
            [
                new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = PropertyCostLimit, TokenLimit = PropertyTokenLimit, Window = window, SlidingWindow = TimeSpan.FromMinutes(10) },
                new BudgetPolicy("all") { CostLimit = 1_000m, Window = BudgetWindow.Lifetime },
            ],
            new BudgetLedgerOptions { ReservationLease = TimeSpan.FromMinutes(5) },
            time);
        GovernanceScope[] tenants = [new() { Tenant = "acme" }, new() { Tenant = "globex" }];
        var open = new List<BudgetReservation>();
        var settled = 0m;

        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case <= 3:
                    var result = await ledger.ReserveAsync(tenants[step.Tenant], step.Cents / 100m, step.Tokens);
                    if (result.IsGranted)
                    {
                        open.Add(result.Reservation);
                    }

                    break;
                case <= 5 when open.Count > 0:
                    var toSettle = Take(open, step.Pick);
                    var cost = decimal.Round(toSettle.Cost * step.Percent / 100m, 4, MidpointRounding.ToZero);
                    if (await ledger.SettleAsync(toSettle, cost, toSettle.Tokens * step.Percent / 100) is not null)
                    {
                        settled += cost;
                    }

                    Assert.Null(await ledger.SettleAsync(toSettle, cost, 0)); // a second settle never counts
                    break;
                case <= 7 when open.Count > 0:
                    await ledger.ReleaseAsync(Take(open, step.Pick));
                    break;
                case 8:
                    time.Advance(TimeSpan.FromSeconds(step.Pick % 90));
                    break;
                case 9:
                    time.Advance(TimeSpan.FromMinutes(step.Pick % 120));
                    break;
            }

            AssertWithinLimits(ledger, tenants, window);
        }

        // Close whatever is still open (some may have been reclaimed after their lease): nothing may stay held.
        foreach (var reservation in open)
        {
            await ledger.ReleaseAsync(reservation);
        }

        Assert.Equal(0, await OpenReservationsAsync(ledger));
        foreach (var tenant in tenants)
        {
            Assert.All(ledger.GetUsage(tenant), u => Assert.True(u.ReservedCost == 0 && u.ReservedTokens == 0,
                $"{u.Policy.Name}/{u.Key} still holds ${u.ReservedCost} and {u.ReservedTokens} tokens after every reservation closed ({window})."));
        }

        // The lifetime budget saw every settle exactly once.
        Assert.Equal(settled, ledger.GetUsage(tenants[0]).Single(u => u.Policy.Name == "all").SpentCost);
    }

    private static void AssertWithinLimits(IBudgetLedger ledger, GovernanceScope[] tenants, BudgetWindow window)
    {
        foreach (var tenant in tenants)
        {
            var u = ledger.GetUsage(tenant).Single(x => x.Policy.Name == "tenant");
            Assert.True(u.SpentCost + u.ReservedCost <= PropertyCostLimit, $"{u.Key} ({window}): spent ${u.SpentCost} + reserved ${u.ReservedCost} is over the ${PropertyCostLimit} strict limit.");
            Assert.True(u.SpentTokens + u.ReservedTokens <= PropertyTokenLimit, $"{u.Key} ({window}): {u.SpentTokens} + {u.ReservedTokens} tokens is over the {PropertyTokenLimit} strict limit.");
            Assert.True(u.ReservedCost >= 0 && u.ReservedTokens >= 0, $"{u.Key} ({window}): negative hold ${u.ReservedCost} / {u.ReservedTokens} tokens.");
        }
    }

    private static BudgetReservation Take(List<BudgetReservation> open, int pick)
    {
        var index = pick % open.Count;
        var reservation = open[index];
        open.RemoveAt(index);
        return reservation;
    }
}
