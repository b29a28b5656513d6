// A minimal API that governs its chat client from appsettings.json: budgets per tenant on a durable SQLite ledger, every call
// written to the spend store (the same file), the response cache, cost metering, OpenTelemetry metrics on the console,
// health checks for the ledger and the spend store, ProblemDetails for every error, and /spend read from the store.
//   dotnet run --project samples/AspNetCoreChat
//   curl -s localhost:5080/chat -H 'content-type: application/json' -d '{"tenant":"acme","feature":"support","message":"Where is my order?"}'
//   curl -s 'localhost:5080/spend?tenant=acme'         (add &since=7d, or &from=2026-12-01&to=2026-12-02)
//   curl -s localhost:5080/health
//   tokengov spend --db governance.db --by tenant,feature   (the same store, from the command line)
using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using AspNetCoreChat;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenTelemetry.Metrics;
using TokenGovernor;

var builder = WebApplication.CreateBuilder(args);

// One SQLite file holds the budgets (they survive restarts) and the spend store. Outside the "TokenGovernor" section, whose
// keys are checked one by one at start-up.
var database = builder.Configuration["Governance:Database"] is { Length: > 0 } path ? path : "governance.db";
builder.Services.AddTokenGovernor(builder.Configuration)    // prices, budgets from "TokenGovernor"; validated at start-up
    .UseSqliteLedger(database)
    .UseSqliteSpendStore(database);
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

builder.Services.AddHealthChecks()
    .AddCheck<BudgetLedgerHealthCheck>("budget-ledger", tags: ["ready"])
    .AddCheck<SpendStoreHealthCheck>("spend-store", tags: ["ready"]);

// Every error is an RFC 9457 problem (application/problem+json), malformed JSON included; never the developer exception page.
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
{
    if (context.Exception is BadHttpRequestException bad)
    {
        context.ProblemDetails.Title = "The request could not be read.";
        context.ProblemDetails.Detail = bad.InnerException is JsonException json
            ? $"The body is not valid JSON ({json.Message.Split(" Path:", 2)[0]}); send {{\"message\": \"…\", \"tenant\": \"…\", \"feature\": \"…\"}}."
            : bad.Message;
    }
});

builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(TokenGovernorDiagnostics.MeterName)           // token_governor.client.cost, token_governor.budget.*, …
    .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 30_000));

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions
{
    StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
});
app.UseStatusCodePages();

app.MapPost("/chat", async (ChatRequest request, IChatClient client, CancellationToken cancellationToken) =>
{
    if (string.IsNullOrWhiteSpace(request.Message))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["message"] = ["\"message\" is required: the user's question."] });
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
        return Results.Problem(ex.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Budget exhausted",
            extensions: new Dictionary<string, object?> { ["reason"] = ex.Reason });
    }
});

// Spend of one tenant (or all, without ?tenant=) from the spend store, with the budgets that cover it.
app.MapGet("/spend", async (string? tenant, string? since, string? from, string? to, ISpendStore store, SpendStoreSink sink, Governor governor,
    TimeProvider time, CancellationToken cancellationToken) =>
{
    if (SpendRange.Parse(since, from, to, time.GetUtcNow()) is not { } range)
    {
        return Results.ValidationProblem(new Dictionary<string, string[]>
        {
            ["range"] = ["Use since=Nd|Nh (such as 7d), or from/to as dates (yyyy-MM-dd, UTC; to's whole day is included) with to after from."],
        });
    }

    await sink.FlushAsync(cancellationToken);               // count the calls still queued for the store, too
    var rows = (await store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Tenant | SpendGrouping.Feature | SpendGrouping.Model, From = range.From, To = range.To },
            cancellationToken))
        .Where(r => tenant is null || string.Equals(r.Tenant, tenant, StringComparison.Ordinal))
        .ToList();
    using var scope = GovernanceScope.Begin(tenant: tenant);
    return Results.Ok(new
    {
        tenant,
        from = range.From,
        to = range.To,
        totalUsd = rows.Sum(r => r.Cost),
        calls = rows.Sum(r => r.Calls),
        costAvoidedUsd = rows.Sum(r => r.CostAvoided),
        byModel = rows.Select(r => new
        {
            tenant = r.Tenant,
            feature = r.Feature,
            model = r.Model,
            calls = r.Calls,
            costUsd = r.Cost,
            costAvoidedUsd = r.CostAvoided,
            inputTokens = r.InputTokens,
            outputTokens = r.OutputTokens,
        }),
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

app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync });

app.Run();

/// <summary>The body of <c>POST /chat</c>.</summary>
internal sealed record ChatRequest(string? Message, string? Tenant, string? Feature);

/// <summary>The time range of <c>GET /spend</c>.</summary>
internal readonly record struct SpendRange(DateTimeOffset? From, DateTimeOffset? To)
{
    public static SpendRange? Parse(string? since, string? from, string? to, DateTimeOffset now)
    {
        if (since is not null)
        {
            if (from is not null || to is not null || since.Length < 2 ||
                !int.TryParse(since.AsSpan(0, since.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                return null;
            }

            return since[^1] switch
            {
                'd' => new SpendRange(now.AddDays(-n), null),
                'h' => new SpendRange(now.AddHours(-n), null),
                _ => null,
            };
        }

        DateTimeOffset? start = null, end = null;
        if (from is not null)
        {
            if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f))
            {
                return null;
            }

            start = new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        if (to is not null)
        {
            if (!DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            {
                return null;
            }

            end = new DateTimeOffset(t.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1);
        }

        return start is { } s && end is { } e && e <= s ? null : new SpendRange(start, end);
    }
}

/// <summary>Exposes the entry point to integration tests.</summary>
public partial class Program;
