using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

namespace TokenGovernor.IntegrationTests;

/// <summary>
/// The real OpenAI .NET SDK (through <c>AsIChatClient</c>) talking to <see cref="FakeOpenAIServer"/>, wrapped in
/// <c>UseFunctionInvocation</c> and <c>UseTokenGovernor</c> with every layer, as an app would set it up in DI.
/// </summary>
public sealed class GovernedStack : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private GovernedStack(FakeOpenAIServer server, ServiceProvider services)
    {
        Server = server;
        _services = services;
        Client = services.GetRequiredService<IChatClient>();
        Costs = services.GetRequiredService<InMemoryCostAggregator>();
        Ledger = services.GetRequiredService<IBudgetLedger>();
    }

    public FakeOpenAIServer Server { get; }

    public IChatClient Client { get; }

    public InMemoryCostAggregator Costs { get; }

    public IBudgetLedger Ledger { get; }

    public decimal Spent => Ledger.GetUsage(GovernanceScope.Empty).Sum(u => u.SpentCost);

    public decimal Reserved => Ledger.GetUsage(GovernanceScope.Empty).Sum(u => u.ReservedCost);

    /// <summary>What the server's reported usage costs at the built-in prices, computed here independently of the library.</summary>
    public decimal ReportedCost => Server.Reported.Sum(u =>
    {
        var p = PriceCatalog.BuiltIn.GetPrice(u.Model);
        return (((u.PromptTokens - u.CachedTokens) * p.InputPerMillion) + (u.CachedTokens * p.EffectiveCachedInputPerMillion) +
                ((u.CompletionTokens - u.ReasoningTokens) * p.OutputPerMillion) + (u.ReasoningTokens * p.EffectiveReasoningPerMillion)) / 1_000_000m;
    });

    public static async Task<GovernedStack> StartAsync(decimal budget = 10m, int maxRetries = 0, TimeSpan? networkTimeout = null,
        Action<TokenGovernorPipelineBuilder>? pipeline = null)
    {
        var server = await FakeOpenAIServer.StartAsync();
        var openAi = new OpenAIClient(new ApiKeyCredential("sk-test"), new OpenAIClientOptions
        {
            Endpoint = server.Endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries),
            NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(20),
        });
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Budgets.Add(new BudgetPolicy("global") { CostLimit = budget }));
        services.AddSingleton(openAi);
        services.AddEmbeddingGenerator(sp => sp.GetRequiredService<OpenAIClient>().GetEmbeddingClient("text-embedding-3-small").AsIEmbeddingGenerator());
        services.AddChatClient(sp => sp.GetRequiredService<OpenAIClient>().GetChatClient("gpt-4o-mini").AsIChatClient())
            .UseFunctionInvocation()
            .UseTokenGovernor(pipeline ?? (p => p
                .UseLoopGuard()
                .UseResponseCache()
                .UseModelRouting(o => o.UseOpenAITiers())
                .UseBudgets()
                .UseCostMetering()));
        return new GovernedStack(server, services.BuildServiceProvider(validateScopes: true));
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
