using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>Per-call overhead of budgets (ladder check, estimate, reserve, settle) plus metering, against a bare delegating client.</summary>
[MemoryDiagnoser]
public class BudgetChatClientBenchmarks
{
    private static readonly List<ChatMessage> s_messages = Conversations.Create(10);
    private readonly ChatOptions _options = new() { ModelId = "gpt-4o", MaxOutputTokens = 800 };
    private IChatClient _bare = null!;
    private IChatClient _metered = null!;
    private IChatClient _budgeted = null!;

    [GlobalSetup]
    public void Setup()
    {
        var inner = new CompletedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done."))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 1_200, OutputTokenCount = 120 },
        });
        _bare = new PassThroughChatClient(inner);
        _metered = new ChatClientBuilder(inner).UseCostMetering().Build();
        var ledger = new InMemoryBudgetLedger(BudgetLedgerBenchmarks.ThreePolicies());
        _budgeted = new ChatClientBuilder(inner).UseBudgets(ledger).UseCostMetering().Build();
        using var scope = GovernanceScope.Begin(tenant: "acme", feature: "support", session: "s-1");
        _budgeted.GetResponseAsync(s_messages, _options).GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareDelegatingClient() => _bare.GetResponseAsync(s_messages, _options);

    [Benchmark]
    public Task<ChatResponse> MeteringOnly() => _metered.GetResponseAsync(s_messages, _options);

    [Benchmark]
    public async Task<ChatResponse> BudgetsAndMetering()
    {
        using var scope = GovernanceScope.Begin(tenant: "acme", feature: "support", session: "s-1");
        return await _budgeted.GetResponseAsync(s_messages, _options);
    }
}
