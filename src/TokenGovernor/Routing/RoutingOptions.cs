using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Options of <see cref="ModelRoutingChatClient"/>.</summary>
public sealed class RoutingOptions
{
    /// <summary>The <c>ChatOptions.AdditionalProperties</c> key that pins one call to a tier (by name).</summary>
    public const string PinTierKey = "tokengovernor.route.tier";

    /// <summary>The <c>ChatOptions.AdditionalProperties</c> key that pins one call to a model id (routing is skipped).</summary>
    public const string PinModelKey = "tokengovernor.route.model";

    /// <summary>Gets the tiers, cheapest first: the models routing may send a call to.</summary>
    /// <value>Empty by default. Routing never picks models of its own: add your provider's models here
    /// (<c>o.Tiers.Add(ModelTier.Of("Small", "claude-3-5-haiku"))</c>), call <see cref="UseOpenAITiers"/> for OpenAI's, or list them in
    /// configuration under <c>TokenGovernor:Routing:Tiers</c> (used when none are set here). A routing client without tiers fails when it
    /// is built.</value>
    public IList<ModelTier> Tiers { get; private set; } = [];

    /// <summary>Gets or sets the classifier.</summary>
    /// <value>Defaults to <see cref="RuleBasedComplexityClassifier"/>.</value>
    [Required]
    public IComplexityClassifier Classifier { get; set; } = new RuleBasedComplexityClassifier();

    /// <summary>Gets or sets a classifier that needs I/O (<see cref="EmbeddingCentroidClassifier"/>, <see cref="LlmComplexityClassifier"/>);
    /// when set it is used instead of <see cref="Classifier"/> for routed calls.</summary>
    public IAsyncComplexityClassifier? AsyncClassifier { get; set; }

    /// <summary>Gets or sets the path of a router file written by <c>tokengov route train</c> (a <see cref="LearnedRouter"/>); when
    /// set and <see cref="AsyncClassifier"/> is not, the router is loaded when the routing client is built, and its tiers must be
    /// among <see cref="Tiers"/> (matched by name).</summary>
    /// <value>Defaults to <see langword="null"/> (the <see cref="Classifier"/> decides).</value>
    public string? RouterFile { get; set; }

    /// <summary>Gets or sets the embedder a <see cref="RouterFile"/> was trained with, when it was trained with one (for example
    /// the local MiniLM embedder). Only an embedder given here is used; none is taken from dependency injection.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? RouterEmbeddingGenerator { get; set; }

    /// <summary>Gets or sets the budget utilization from which routing prefers one tier cheaper (read from the ledger), or
    /// <see langword="null"/> to ignore budget pressure.</summary>
    /// <value>Defaults to 0.70.</value>
    [Range(0.0, 10.0)]
    public double? PreferCheaperAt { get; set; } = 0.70;

    /// <summary>Gets or sets how many times one call may move a tier up (on errors, empty or truncated answers, or a failed quality check).</summary>
    /// <value>Defaults to 1.</value>
    [Range(0, 10)]
    public int MaxEscalations { get; set; } = 1;

    /// <summary>Gets or sets a check of the answer; returning <see langword="false"/> escalates the call one tier up.</summary>
    public Func<ChatResponse, bool>? QualityCheck { get; set; }

    /// <summary>Gets or sets how to read a retry delay (<c>Retry-After</c>) from a provider exception; the delay is honoured,
    /// up to <see cref="MaxFailoverDelay"/>, before the next deployment is tried.</summary>
    /// <value>Defaults to the <c>Retry-After</c> header of an OpenAI/Azure SDK <c>ClientResultException</c> (seconds or an HTTP
    /// date), else <see cref="RateLimitExceededException.RetryAfter"/> for a request limit of the budgets below, else
    /// <c>Exception.Data["Retry-After"]</c> (a <see cref="TimeSpan"/> or seconds).</value>
    public Func<Exception, TimeSpan?> RetryAfter { get; set; } = static ex => ex switch
    {
        // A request limit of the budgets below: when its window frees a slot.
        RateLimitExceededException limited => limited.RetryAfter,
        // The OpenAI and Azure SDKs: the Retry-After header of the failed response (seconds, or an HTTP date).
        System.ClientModel.ClientResultException c when c.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var header) == true => ParseRetryAfter(header),
        _ => ex.Data["Retry-After"] switch
        {
            TimeSpan span => span,
            int seconds => TimeSpan.FromSeconds(seconds),
            double seconds => TimeSpan.FromSeconds(seconds),
            string text => ParseRetryAfter(text),
            _ => null,
        },
    };

    /// <summary>Gets or sets the longest <c>Retry-After</c> honoured before failing over.</summary>
    /// <value>Defaults to 10 seconds.</value>
    public TimeSpan MaxFailoverDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets which exceptions are transient (fail over to the next deployment, then escalate).</summary>
    /// <value>
    /// Defaults to HTTP 408/429/5xx and connection failures (from <see cref="HttpRequestException"/> or the OpenAI/Azure SDKs'
    /// <c>ClientResultException</c>), I/O errors and timeouts, and:
    /// <list type="bullet">
    /// <item>an <see cref="AggregateException"/> (the SDKs' "Retry failed after N tries" once their own retries run out) when
    /// any exception inside it is transient;</item>
    /// <item>an <see cref="OperationCanceledException"/> (the SDKs' <c>NetworkTimeout</c> surfaces as a
    /// <see cref="TaskCanceledException"/>): routing asks only when the caller's token was not cancelled, so such a cancellation
    /// is a timeout, not the caller giving up;</item>
    /// <item>a <see cref="System.Text.Json.JsonException"/> (a 200 response whose body is not valid JSON, such as one cut off by a
    /// proxy or a dropped connection): the request reached a deployment that did not deliver a usable answer, so another one is
    /// tried. The provider may have billed the broken attempt; its usage is unknown, so it is not metered.</item>
    /// </list>
    /// </value>
    public Func<Exception, bool> IsTransient { get; set; } = DefaultIsTransient;

    private static bool DefaultIsTransient(Exception ex) => ex switch
    {
        RateLimitExceededException => true, // a request limit of the budgets below, treated like a provider's 429
        HttpRequestException http => http.StatusCode is null or System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout || (int?)http.StatusCode >= 500,
        System.ClientModel.ClientResultException c => c.Status is 0 or 408 or 429 || c.Status >= 500, // 0: no response at all
        TimeoutException or IOException or OperationCanceledException or System.Text.Json.JsonException => true,
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.Any(DefaultIsTransient),
        _ => ex.InnerException is { } inner && inner is IOException or TimeoutException or System.Net.Sockets.SocketException,
    };

    /// <summary>
    /// Gets or sets a value indicating whether this layer runs in shadow mode: it decides as usual and records what it would
    /// have done in <see cref="GovernanceRecord.ShadowActions"/>, but does not act (the call goes through unchanged). Use it to
    /// see a configuration's effect on live traffic before turning it on.
    /// </summary>
    public bool Shadow { get; set; }

    private static TimeSpan? ParseRetryAfter(string? text) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                ? at - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero
                : null;

    /// <summary>Loads <see cref="RouterFile"/> when no async classifier is set, and checks a learned router's tiers against
    /// <paramref name="tierNames"/>, so a mismatch fails when the client is built, not on the first call.</summary>
    internal void ResolveLearnedRouter(IReadOnlyList<string> tierNames)
    {
        if (AsyncClassifier is null && RouterFile is { } file)
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"RoutingOptions.RouterFile '{file}' does not exist; train one with tokengov route train --labels F.jsonl --out {file}.");
            }

            AsyncClassifier = LearnedRouter.Load(file, RouterEmbeddingGenerator);
        }

        (AsyncClassifier as LearnedRouter)?.EnsureTiers(tierNames);
    }

    /// <summary>Replaces <see cref="Tiers"/> with four OpenAI tiers: Small (<c>gpt-4o-mini</c>), Medium (<c>gpt-4.1-mini</c>), Large
    /// (<c>gpt-4.1</c>) and Reasoning (<c>o3</c>, a reasoning tier). Use it only with a client that serves these models (OpenAI or an
    /// Azure OpenAI resource with deployments of these names).</summary>
    /// <returns>These options.</returns>
    public RoutingOptions UseOpenAITiers()
    {
        Tiers.Clear();
        Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini"));
        Tiers.Add(ModelTier.Of("Medium", "gpt-4.1-mini"));
        Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
        Tiers.Add(ModelTier.Of("Reasoning", "o3") with { IsReasoning = true });
        return this;
    }

    /// <summary>A copy with its own tier list, so the options a client was built with cannot change under it.</summary>
    internal RoutingOptions Clone()
    {
        var clone = (RoutingOptions)MemberwiseClone();
        clone.Tiers = [.. Tiers];
        return clone;
    }

    /// <summary>A copy whose tiers are <paramref name="tiers"/> (the configured ones, when the code set none).</summary>
    internal RoutingOptions WithTiers(IEnumerable<ModelTier> tiers)
    {
        var clone = Clone();
        clone.Tiers = [.. tiers];
        return clone;
    }
}
