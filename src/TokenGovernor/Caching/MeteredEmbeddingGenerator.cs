using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// Meters and prices the semantic cache's calls to a remote embedder (for example <c>text-embedding-3-small</c>): the input
/// tokens the provider reports (or, when it reports none, the tokenizer's count) priced from the catalog. The cost is added to
/// the current call's <see cref="GovernanceRecord.CacheCost"/> and to the <c>token_governor.client.cost</c> metric, tagged
/// <c>gen_ai.operation.name=embeddings</c>.
/// </summary>
/// <remarks>The cache wraps its embedder in this only when the embedder does not declare itself free: local embedders
/// (<see cref="HashingEmbeddingGenerator"/>, MiniLM) return a zero <see cref="ModelPrice"/> from <c>GetService</c>.</remarks>
internal sealed class MeteredEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly string _model;
    private readonly ModelPrice? _price;
    private readonly ITokenEstimator _tokens;
    private readonly GovernorInstruments _instruments;

    public MeteredEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, PriceCatalog catalog, ITokenEstimator tokens,
        ILogger logger, GovernorInstruments instruments)
        : base(innerGenerator)
    {
        var metadata = innerGenerator.GetService<EmbeddingGeneratorMetadata>();
        _model = metadata?.DefaultModelId ?? metadata?.ProviderName ?? innerGenerator.GetType().Name;
        _price = DeclaredPrice(innerGenerator) ?? (catalog.TryGetPrice(metadata?.DefaultModelId, out var price) ? price : null);
        _tokens = tokens;
        _instruments = instruments;
        if (_price is null)
        {
            CachingLog.EmbedderUnpriced(logger, _model);
        }
    }

    /// <summary>Gets the model whose price is applied.</summary>
    public string Model => _model;

    /// <summary>Whether <paramref name="generator"/> declares itself free (a local embedder): nothing to meter.</summary>
    public static bool IsFree(IEmbeddingGenerator<string, Embedding<float>> generator) =>
        DeclaredPrice(generator) is { InputPerMillion: 0m, OutputPerMillion: 0m };

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyList<string> ?? values.ToList();
        var result = await base.GenerateAsync(texts, options, cancellationToken).ConfigureAwait(false);
        var estimated = result.Usage?.InputTokenCount is null;
        var tokens = result.Usage?.InputTokenCount ?? Count(texts, options?.ModelId ?? _model);
        var cost = _price is null ? 0m : CostCalculator.Calculate(new TokenUsage(tokens, 0, 0, 0, 0), _price).Total;
        GovernanceContext.Current?.AddCacheCost(cost);
        if (_instruments.Cost.Enabled)
        {
            _instruments.Cost.Add((double)cost, new TagList
            {
                { "gen_ai.operation.name", "embeddings" },
                { "gen_ai.request.model", options?.ModelId ?? _model },
                { "token_governor.usage_estimated", estimated },
                { "token_governor.mechanism", "cache.semantic" },
            });
        }

        return result;
    }

    private static ModelPrice? DeclaredPrice(IEmbeddingGenerator<string, Embedding<float>> generator) => generator.GetService<ModelPrice>();

    private long Count(IReadOnlyList<string> texts, string model)
    {
        long total = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            total += _tokens.CountTokens(texts[i], model);
        }

        return total;
    }
}
