// A minimal API that governs its chat client from appsettings.json: budgets per tenant, the response cache, cost metering,
// OpenTelemetry metrics on the console, and an endpoint that returns the current spend.
//   dotnet run --project samples/AspNetCoreChat
//   curl -s localhost:5080/chat -H 'content-type: application/json' -d '{"tenant":"acme","feature":"support","message":"Where is my order?"}'
//   curl -s localhost:5080/spend?tenant=acme
using System.ClientModel;
using AspNetCoreChat;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenTelemetry.Metrics;
using TokenGovernor;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddTokenGovernor(builder.Configuration);   // prices, budgets from "TokenGovernor"; validated at start-up
builder.Services.AddChatClient(sp =>
    {
        var openAi = builder.Configuration.GetSection("OpenAI");
        var model = openAi["Model"] ?? "gpt-4o-mini";
        if (string.IsNullOrEmpty(openAi["ApiKey"]))
        {
            return new OfflineChatClient(model);
        }

        var options = new OpenAIClientOptions();
        if (!string.IsNullOrEmpty(openAi["Endpoint"]))
        {
            options.Endpoint = new Uri(openAi["Endpoint"]!);
        }

        return new OpenAIClient(new ApiKeyCredential(openAi["ApiKey"]!), options).GetChatClient(model).AsIChatClient();
    })
    .UseFunctionInvocation()
    .UseTokenGovernor(g => g.UseResponseCache().UseBudgets());

builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(TokenGovernorDiagnostics.MeterName)           // gen_ai.client.token.usage, token_governor.client.cost, …
    .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 30_000));

var app = builder.Build();

app.MapPost("/chat", async (ChatRequest request, IChatClient client, CancellationToken cancellationToken) =>
{
    if (string.IsNullOrWhiteSpace(request.Message))
    {
        return Results.BadRequest(new { error = "\"message\" is required: the user's question." });
    }

    using var scope = GovernanceScope.Begin(tenant: request.Tenant, feature: request.Feature ?? "chat");
    try
    {
        var response = await client.GetResponseAsync(request.Message, cancellationToken: cancellationToken);
        var g = response.GetGovernance();
        return Results.Ok(new
        {
            answer = response.Text,
            model = g?.ModelId,
            inputTokens = g?.Usage.TotalInputTokens,
            outputTokens = g?.Usage.TotalOutputTokens,
            costUsd = g?.Cost.Total,
            cache = g?.Cache.ToString(),
            degradations = g?.Degradations,
        });
    }
    catch (BudgetExceededException ex)
    {
        return Results.Json(new { error = ex.Message, reason = ex.Reason }, statusCode: StatusCodes.Status429TooManyRequests);
    }
});

app.MapGet("/spend", (string? tenant, Governor governor, InMemoryCostAggregator costs) =>
{
    using var scope = GovernanceScope.Begin(tenant: tenant);
    return Results.Ok(new
    {
        totalUsd = costs.TotalCost,
        byModel = costs.GetSnapshot()
            .Where(a => tenant is null || a.Tenant == tenant)
            .Select(a => new { a.Tenant, a.Feature, model = a.ModelId, a.Calls, a.CacheHits, costUsd = a.Cost.Total }),
        budgets = governor.GetBudgetUsage().Select(u => new
        {
            policy = u.Policy.Name,
            u.Key,
            spentUsd = u.SpentCost,
            limitUsd = u.Policy.CostLimit,
            u.Utilization,
            resetsAt = u.WindowResetsAt,
        }),
    });
});

app.Run();

/// <summary>The body of <c>POST /chat</c>.</summary>
internal sealed record ChatRequest(string? Message, string? Tenant, string? Feature);

/// <summary>Exposes the entry point to integration tests.</summary>
public partial class Program;
