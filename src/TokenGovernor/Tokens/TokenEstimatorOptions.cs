using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="TiktokenTokenEstimator"/>.</summary>
public sealed class TokenEstimatorOptions
{
    /// <summary>Gets or sets how many per-message token counts are memoized (by content hash).</summary>
    /// <value>Defaults to 16,384 messages, about 1 MB. Zero turns memoization off.</value>
    [Range(0, 10_000_000)]
    public int MessageCacheCapacity { get; set; } = 16_384;

    /// <summary>
    /// Gets or sets the factor applied to o200k_base counts for model families that have no public tokenizer, keyed by
    /// model-id prefix (longest prefix wins). Each factor is a heuristic; its expected error is in <see cref="HeuristicErrors"/>.
    /// </summary>
    /// <value>Defaults: <c>claude</c> 1.20, <c>gemini</c> 1.05, <c>mistral</c>/<c>codestral</c>/<c>magistral</c>/<c>pixtral</c> 1.10,
    /// <c>llama</c> 1.05, <c>qwen</c> 1.10, <c>deepseek</c> 1.10; any other unknown model 1.15.</value>
    public IDictionary<string, double> HeuristicFactors { get; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude"] = 1.20,
        ["gemini"] = 1.05,
        ["mistral"] = 1.10,
        ["open-mistral"] = 1.10,
        ["codestral"] = 1.10,
        ["magistral"] = 1.10,
        ["pixtral"] = 1.10,
        ["llama"] = 1.05,
        ["meta-llama"] = 1.05,
        ["qwen"] = 1.10,
        ["qwq"] = 1.10,
        ["deepseek"] = 1.10,
    };

    /// <summary>Gets the expected relative error stated for each heuristic family (same keys as <see cref="HeuristicFactors"/>).</summary>
    /// <value>Defaults to 0.15 for <c>claude</c> and 0.10 for the others; 0.20 for models no family matches.</value>
    public IDictionary<string, double> HeuristicErrors { get; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude"] = 0.15,
    };

    /// <summary>Gets or sets the factor for models that match no family and no OpenAI tokenizer.</summary>
    /// <value>Defaults to 1.15.</value>
    [Range(0.5, 3.0)]
    public double UnknownModelFactor { get; set; } = 1.15;

    /// <summary>Gets or sets the tokens counted for each image part of a message (OpenAI bills a 1024×1024 high-detail image at 765).</summary>
    /// <value>Defaults to 765.</value>
    [Range(0, 100_000)]
    public int TokensPerImage { get; set; } = 765;
}
