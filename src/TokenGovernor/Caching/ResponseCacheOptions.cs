using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Options of <see cref="ResponseCacheChatClient"/>.</summary>
public sealed class ResponseCacheOptions
{
    /// <summary>The <c>ChatOptions.AdditionalProperties</c> key that, set to <see langword="true"/>, makes one call bypass the cache
    /// (no lookup, no store).</summary>
    public const string BypassKey = "tokengovernor.cache.bypass";

    /// <summary>
    /// The service key under which <c>UseResponseCache</c> first looks for the exact cache's <c>IDistributedCache</c> (keyed, so a
    /// shared store such as Redis serves TokenGovernor without replacing the app's own <c>IDistributedCache</c>); when none is
    /// registered under it, the unkeyed <c>IDistributedCache</c> is used, and when there is none, a private in-process cache.
    /// </summary>
    public const string DistributedCacheServiceKey = "tokengovernor.response-cache";

    /// <summary>Gets or sets a value indicating whether the exact cache is used (identical canonical request → stored answer).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool EnableExact { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the semantic cache is used (similar last user turn in the same partition).</summary>
    /// <value>Defaults to <see langword="false"/>; <c>UseSemanticCache</c> turns it on.</value>
    public bool EnableSemantic { get; set; }

    /// <summary>Gets or sets how long exact entries live.</summary>
    /// <value>Defaults to one hour.</value>
    public TimeSpan ExactTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how long semantic entries live.</summary>
    /// <value>Defaults to one hour.</value>
    public TimeSpan SemanticTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets the lowest cosine similarity a semantic hit needs. Calibrate it on your traffic with
    /// <see cref="SemanticCacheCalibrator"/> or <c>tokengov calibrate</c>.</summary>
    /// <value>Defaults to <see langword="null"/>: the embedder's own (<see cref="SemanticCacheDefaults.For"/>): 0.80 for the hashing
    /// embedder (with its guard: precision 0.994, recall 0.17 on data/semantic-cache-pairs.jsonl), the calibrated value for
    /// all-MiniLM-L6-v2 (docs/Caching.md), 0.80 for an embedder that declares none.</value>
    [Range(0.0, 1.0)]
    public float? SimilarityThreshold { get; set; }

    /// <summary>Gets or sets how much higher than <see cref="SimilarityThreshold"/> the similarity must be when both texts are
    /// questions (see <see cref="SemanticCacheDefaults.QuestionMargin"/>).</summary>
    /// <value>Defaults to <see langword="null"/>: the embedder's own (0 for the hashing embedder, 0.05 for MiniLM).</value>
    [Range(0.0, 1.0)]
    public float? QuestionMargin { get; set; }

    /// <summary>Gets or sets how many earlier messages (before the last user turn) are part of the semantic partition, so a
    /// follow-up question is only answered from entries that followed the same conversation.</summary>
    /// <value>Defaults to 4.</value>
    [Range(0, 1000)]
    public int SemanticHistoryDepth { get; set; } = 4;

    /// <summary>Gets or sets how many semantic candidates above the threshold the guard may examine.</summary>
    /// <value>Defaults to 4.</value>
    [Range(1, 64)]
    public int SemanticCandidates { get; set; } = 4;

    /// <summary>Gets or sets the temperature above which requests bypass the cache (their answers are meant to vary).</summary>
    /// <value>Defaults to 0.7. A request with no temperature uses the provider's default and is cached.</value>
    [Range(0.0, 10.0)]
    public float MaxTemperature { get; set; } = 0.7f;

    /// <summary>Gets or sets the guard that rejects semantic hits that differ in negation, values or a swapped key term.</summary>
    /// <value>Defaults to <see langword="null"/>: the embedder's own (<see cref="SemanticCacheDefaults.For"/>):
    /// <see cref="SemanticCacheGuard.Default"/> for lexical embedders, <see cref="SemanticCacheGuard.Meaning"/> for MiniLM.</value>
    public SemanticCacheGuard? Guard { get; set; }

    /// <summary>
    /// Gets or sets the grey-band verifier: a cheap chat model asked, for the best candidate whose similarity falls just under the
    /// threshold (within <see cref="GreyBand"/>) and that the guard accepts, whether the two requests ask the same thing. A
    /// <c>YES</c> serves the stored answer. Its call is priced from the catalog and counted against the saving
    /// (<see cref="GovernanceRecord.CacheCost"/>); at most one verifier call is made per lookup. Use a fast non-reasoning model.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (no second stage: candidates under the threshold are misses).</value>
    public IChatClient? Verifier { get; set; }

    /// <summary>Gets or sets the model the <see cref="Verifier"/> is asked with (<c>ChatOptions.ModelId</c>), also used to price
    /// its call when the response names no model.</summary>
    /// <value>Defaults to <see langword="null"/>: the verifier client's default model.</value>
    public string? VerifierModelId { get; set; }

    /// <summary>Gets or sets how far under the threshold (question margin included) a candidate may score and still be sent to
    /// the <see cref="Verifier"/>.</summary>
    /// <value>Defaults to 0.05. Ignored without a verifier.</value>
    [Range(0.0, 1.0)]
    public float GreyBand { get; set; } = 0.05f;

    /// <summary>Gets or sets a value indicating whether the semantic index stores int8 copies and scans them (see <see cref="VectorIndexOptions.Quantize"/>).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool QuantizeSemanticIndex { get; set; }

    /// <summary>Gets or sets the memory cap of the semantic index, in bytes.</summary>
    /// <value>Defaults to 64 MiB.</value>
    [Range(1024L, long.MaxValue)]
    public long SemanticIndexMemoryCapBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets how many embeddings of identical texts are memoized.</summary>
    /// <value>Defaults to 4,096.</value>
    [Range(0, 10_000_000)]
    public int EmbeddingMemoCapacity { get; set; } = 4096;

    /// <summary>Gets or sets the size limit of the in-memory exact cache the client creates when no <c>IDistributedCache</c> or
    /// <c>IMemoryCache</c> is given, in bytes (approximate: canonical key plus answer text).</summary>
    /// <value>Defaults to 128 MiB.</value>
    [Range(1024L, long.MaxValue)]
    public long ExactCacheSizeLimitBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// Gets or sets a value indicating whether this layer runs in shadow mode: it decides as usual and records what it would
    /// have done in <see cref="GovernanceRecord.ShadowActions"/>, but does not act (the call goes through unchanged). Use it to
    /// see a configuration's effect on live traffic before turning it on.
    /// </summary>
    public bool Shadow { get; set; }

    internal ResponseCacheOptions Clone() => (ResponseCacheOptions)MemberwiseClone();
}
