using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Estimates the worst-case cost of a chat request before it is sent: exact prompt tokens and an output upper bound.</summary>
/// <remarks>Thread-safe. With a memoizing <see cref="ITokenEstimator"/>, estimating an agent loop's growing history costs
/// O(new messages) per call.</remarks>
public sealed class CostEstimator
{
    /// <summary>Initializes a new estimator.</summary>
    /// <param name="catalog">The prices.</param>
    /// <param name="tokens">The token estimator.</param>
    /// <param name="defaultMaxOutputTokens">The output bound when neither the request nor the catalog gives one.</param>
    public CostEstimator(PriceCatalog catalog, ITokenEstimator tokens, int defaultMaxOutputTokens = 4096)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(defaultMaxOutputTokens);
        Catalog = catalog;
        Tokens = tokens;
        DefaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /// <summary>Gets the prices used.</summary>
    public PriceCatalog Catalog { get; }

    /// <summary>Gets the token estimator used.</summary>
    public ITokenEstimator Tokens { get; }

    /// <summary>Gets the output bound used when neither the request nor the catalog gives one.</summary>
    public int DefaultMaxOutputTokens { get; }

    /// <summary>Estimates a request.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options; <c>ModelId</c> and <c>MaxOutputTokens</c> are read.</param>
    /// <param name="modelId">The model to estimate for; defaults to <c>options.ModelId</c>.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="UnknownModelException">No model id is known, or the model has no price and the catalog policy is Throw.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:Public API with optional parameter(s) should have the most parameters amongst its public overloads",
        Justification = "The other Estimate is a static helper over prices and counts, not an overload a caller would confuse with this one.")]
    public CostEstimate Estimate(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        modelId ??= options?.ModelId;
        if (string.IsNullOrWhiteSpace(modelId))
        {
            throw new UnknownModelException(null);
        }

        var price = Catalog.GetPrice(modelId);
        var prompt = Tokens.CountPromptTokens(messages, options, modelId);
        var maxOutput = options?.MaxOutputTokens is > 0 ? options.MaxOutputTokens.Value : price.MaxOutputTokens ?? DefaultMaxOutputTokens;
        return Estimate(modelId, price, prompt, maxOutput, Tokens.GetTokenizerInfo(modelId));
    }

    /// <summary>Prices a prompt size and output bound for a model.</summary>
    /// <param name="modelId">The requested model id.</param>
    /// <param name="price">The model's price.</param>
    /// <param name="promptTokens">The prompt tokens.</param>
    /// <param name="maxOutputTokens">The output upper bound.</param>
    /// <param name="tokenizer">The tokenizer that counted the prompt.</param>
    /// <returns>The estimate.</returns>
    public static CostEstimate Estimate(string modelId, ModelPrice price, int promptTokens, int maxOutputTokens, TokenizerInfo tokenizer)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputTokens);
        var (promptCost, maxOutputCost) = CostCalculator.EstimateBounds(promptTokens, maxOutputTokens, price);
        return new CostEstimate
        {
            ModelId = modelId,
            PricedModelId = price.ModelId,
            Tokenizer = tokenizer,
            PromptTokens = promptTokens,
            MaxOutputTokens = maxOutputTokens,
            PromptCost = promptCost,
            MaxOutputCost = maxOutputCost,
        };
    }
}
