using System.Diagnostics.CodeAnalysis;
using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// A router learned from labelled traffic (<c>tokengov route train</c>, or <see cref="TrainAsync"/>): a logistic model over hashed
/// words and word pairs, the default classifier's rule signals and, when trained with one, a sentence embedding. Its score, in
/// [0, 1], rises with the need for the strongest tier; the operating point (the score above which a call goes up) is chosen at
/// training and stored in the router file. Set it as <see cref="RoutingOptions.AsyncClassifier"/>, or name the file in
/// <see cref="RoutingOptions.RouterFile"/>.
/// </summary>
/// <remarks>
/// <para>Tiers are matched by name: the file names the tiers it was trained on, cheapest first, and every one of them must be
/// one of the router's tiers (<see cref="RoutingOptions.Tiers"/>); calls then go only to those tiers.</para>
/// <para>The file records the embedder's name and dimensions; a router trained with an embedder must be loaded with the same
/// one. Thread-safe: the model is immutable after loading.</para>
/// </remarks>
[Experimental(DiagnosticIds.LearnedRouting)]
public sealed class LearnedRouter : IAsyncComplexityClassifier
{
    /// <summary>The <c>format</c> field of a router file.</summary>
    public const string FileFormat = "tokengovernor-router";

    // Version 4 adds the MLP head (routers trained with an embedder); a router without one is still written as version 3.
    private const int FileVersion = 4;

    private readonly RouterModel _model;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly double[] _shareThresholds;
    private readonly HashSet<string> _reasoningTiers;
    private readonly string[] _tiers;

    private LearnedRouter(RouterModel model, string[] tiers, double threshold, double[] shareThresholds, string? embedderName,
        IEmbeddingGenerator<string, Embedding<float>>? embedder, OperatingPoint trained, LearnedRouterTrainingOptions? training, int examples)
    {
        _model = model;
        _tiers = tiers;
        Threshold = threshold;
        _shareThresholds = shareThresholds;
        EmbedderName = embedderName;
        _embedder = embedder;
        Trained = trained;
        Training = training;
        Examples = examples;
        _reasoningTiers = new HashSet<string>(["Reasoning"], StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the tiers the router chooses between, cheapest first.</summary>
    public IReadOnlyList<string> Tiers => _tiers;

    /// <summary>Gets the operating point: with two tiers, a call goes to the stronger one when its score is above this value.
    /// With more tiers, a call goes to the cheapest tier whose predicted quality is within <c>Threshold - 0.5</c> of the
    /// strongest tier's.</summary>
    public double Threshold { get; }

    /// <summary>Gets the name of the embedder the router was trained with (its metadata's model id or provider name), or
    /// <see langword="null"/> when it uses none.</summary>
    public string? EmbedderName { get; }

    /// <summary>Gets the embedding dimensions the router expects (0 without an embedder).</summary>
    public int EmbeddingDimensions => _model.Features.EmbeddingDimensions;

    /// <summary>Gets the share of calls on the strongest tier and the share of its quality kept, measured at training on held-out
    /// folds at the stored threshold.</summary>
    public (double StrongShare, double QualityKept) TrainedOperatingPoint => (Trained.StrongShare, Trained.QualityKept);

    /// <summary>Gets how many labelled examples the router was trained on.</summary>
    public int Examples { get; }

    private OperatingPoint Trained { get; }

    private LearnedRouterTrainingOptions? Training { get; }

    /// <summary>Trains a router on labelled examples.</summary>
    /// <param name="examples">The labelled requests (at least 20, with quality for at least two tiers).</param>
    /// <param name="options">The training options; defaults apply when <see langword="null"/>.</param>
    /// <param name="embeddingGenerator">An embedder whose vectors become features, or <see langword="null"/> for words and rule
    /// signals only. Loading the router later needs the same embedder.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The router.</returns>
    /// <exception cref="ArgumentException">Too few examples, or examples that do not name the tiers.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">Invalid options; the message names each.</exception>
    public static async Task<LearnedRouter> TrainAsync(IEnumerable<RoutingExample> examples, LearnedRouterTrainingOptions? options = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new LearnedRouterTrainingOptions();
        OptionsValidation.ThrowIfInvalid(new LearnedRouterTrainingOptionsValidator(), options);
        var list = examples as IReadOnlyList<RoutingExample> ?? [.. examples];
        if (list.Count < 20)
        {
            throw new ArgumentException($"Training a router needs at least 20 labelled examples; got {list.Count}.", nameof(examples));
        }

        var tiers = TierOrder(list, options.Tiers);
        var texts = list.Select(e => RouterFeatures.TextOf(e.Messages)).ToList();
        var embedded = await EmbedAsync(texts, embeddingGenerator, cancellationToken).ConfigureAwait(false);
        var features = new RouterFeatures(options.HashBits, embedded.Dimensions);
        var rows = new FeatureRow[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            rows[i] = features.Extract(list[i].Messages, embedded.Vector(i));
        }

        var quality = Qualities(list, tiers);
        // Topics cluster words only: embedding clusterings as well ordered held-out requests worse (docs/Routing.md, "Measured").
        var topics = options.TopicPrior ? RouterTopics.Fit(texts, null, options.Seed, cancellationToken) : null;
        var clusters = topics is null ? null : texts.Select((t, i) => topics.Assign(t, embedded.Vector(i))).ToArray();
        var fit = new RouterFit(features, rows, quality, tiers, options.L2, options.Iterations, EmbeddingScale, topics, clusters, !options.GainHeads, options.Seed);
        var (linear, prior) = fit.OutOfFold(options.Folds, options.Seed, cancellationToken);
        var (weakIndex, blend) = RouterFit.ChooseBlend(linear, prior, quality);
        var outOfFold = RouterFit.Blend(linear[weakIndex], prior, blend);

        var model = fit.FitAll(blend, fit.WeakWeights[weakIndex]);
        var (threshold, point) = RouterFit.ChooseThreshold(outOfFold, quality, options.TargetQuality, options.MaxStrongShare);
        var shares = RouterFit.ShareThresholds(outOfFold);
        return new LearnedRouter(model, tiers, threshold, shares, embedded.Name, embeddingGenerator, point, options, list.Count);
    }

    // The embedding block's weight against the rule features, after both are standardised; chosen on the subject split.
    internal static double EmbeddingScale { get; set; } = 0.25;

    /// <summary>Loads a router file written by <see cref="Save(string)"/> or <c>tokengov route train</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="embeddingGenerator">The embedder the router was trained with, when it was trained with one.</param>
    /// <returns>The router.</returns>
    /// <exception cref="FormatException">The file is not a router file, or is damaged.</exception>
    /// <exception cref="InvalidOperationException">The router needs an embedder and none (or a different one) was given.</exception>
    public static LearnedRouter Load(string path, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, embeddingGenerator, path);
    }

    /// <summary>Loads a router from a stream holding a router file.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="embeddingGenerator">The embedder the router was trained with, when it was trained with one.</param>
    /// <returns>The router.</returns>
    /// <exception cref="FormatException">The stream does not hold a router file, or it is damaged.</exception>
    /// <exception cref="InvalidOperationException">The router needs an embedder and none (or a different one) was given.</exception>
    public static LearnedRouter FromStream(Stream stream, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null) =>
        Load(stream, embeddingGenerator, "the router file");

    /// <summary>Returns this router with another operating point.</summary>
    /// <param name="threshold">The score threshold, in [0, 1].</param>
    /// <returns>The router.</returns>
    public LearnedRouter WithThreshold(double threshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threshold, 1.0);
        return new LearnedRouter(_model, _tiers, threshold, _shareThresholds, EmbedderName, _embedder, Trained, Training, Examples);
    }

    /// <summary>Returns this router with the threshold that sent <paramref name="share"/> of the training calls (held-out folds) to
    /// the strongest tier.</summary>
    /// <param name="share">The share of calls for the strongest tier, in [0, 1].</param>
    /// <returns>The router.</returns>
    public LearnedRouter WithStrongShare(double share)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(share, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1.0);
        var index = (int)Math.Round(share * (_shareThresholds.Length - 1));
        return WithThreshold(Math.Clamp(_shareThresholds[index], 0, 1));
    }

    /// <summary>Scores a request: in [0, 1], rising with the need for the strongest tier (0.5 = no expected gain).</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="cancellationToken">Cancels the embedding call.</param>
    /// <returns>The score.</returns>
    public async ValueTask<double> ScoreAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var p = await PredictAsync(messages, cancellationToken).ConfigureAwait(false);
        return p[^1];
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A tier the router was trained on is not one of <paramref name="tierNames"/>.</exception>
    public async ValueTask<ComplexityAssessment> ClassifyAsync(IList<ChatMessage> messages, ChatOptions? options, IReadOnlyList<string> tierNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tierNames);
        var p = await PredictAsync(messages as IReadOnlyList<ChatMessage> ?? [.. messages], cancellationToken).ConfigureAwait(false);
        var chosen = _tiers[RouterModel.Choose(p, Threshold)];
        var index = -1;
        for (var i = 0; i < tierNames.Count; i++)
        {
            if (string.Equals(tierNames[i], chosen, StringComparison.OrdinalIgnoreCase))
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            throw new InvalidOperationException(
                $"The learned router was trained on tiers {string.Join(", ", _tiers)} but routing has tiers {string.Join(", ", tierNames)}; " +
                "name RoutingOptions.Tiers like the router's tiers, or train it with matching names (tokengov route train --tiers).");
        }

        var score = Math.Round(p[^1], 4);
        return new ComplexityAssessment(score, index, _reasoningTiers.Contains(chosen),
            [FormattableString.Invariant($"learned:{score:0.000}"), FormattableString.Invariant($"threshold:{Threshold:0.000}")]);
    }

    /// <summary>Checks that every tier the router was trained on is one of <paramref name="tierNames"/>.</summary>
    /// <param name="tierNames">The routing tiers' names.</param>
    /// <exception cref="InvalidOperationException">A tier is missing; the message names it.</exception>
    public void EnsureTiers(IEnumerable<string> tierNames)
    {
        ArgumentNullException.ThrowIfNull(tierNames);
        var names = new HashSet<string>(tierNames, StringComparer.OrdinalIgnoreCase);
        if (_tiers.FirstOrDefault(t => !names.Contains(t)) is { } missing)
        {
            throw new InvalidOperationException(
                $"The learned router chooses tier '{missing}', which is not among RoutingOptions.Tiers ({string.Join(", ", names)}); " +
                "name the tiers like the router's, or retrain it with tokengov route train --tiers.");
        }
    }

    /// <summary>Writes the router file.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Writes the router file to a stream.</summary>
    /// <param name="stream">The stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", FileFormat);
        w.WriteNumber("version", _model.Mlp is { } && _model.MlpWeight > 0 ? FileVersion : 3);
        w.WriteStartArray("tiers");
        foreach (var t in _tiers)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        w.WriteNumber("threshold", Math.Round(Threshold, 6));
        w.WriteStartObject("trained_operating_point");
        w.WriteNumber("strong_share", Math.Round(Trained.StrongShare, 4));
        w.WriteNumber("quality_kept", Math.Round(Trained.QualityKept, 4));
        if (Training is { } t1)
        {
            if (t1.MaxStrongShare is { } max)
            {
                w.WriteNumber("max_strong_share", max);
            }
            else
            {
                w.WriteNumber("target_quality", t1.TargetQuality);
            }
        }

        w.WriteEndObject();
        w.WriteStartArray("strong_share_thresholds");
        foreach (var s in _shareThresholds)
        {
            w.WriteNumberValue(Math.Round(s, 6));
        }

        w.WriteEndArray();
        w.WriteStartObject("features");
        w.WriteNumber("hash_bits", _model.Features.HashBits);
        w.WriteNumber("rules", RouterFeatures.RuleCount);
        if (EmbedderName is { } embedder)
        {
            w.WriteString("embedder", embedder);
        }
        else
        {
            w.WriteNull("embedder");
        }

        w.WriteNumber("embedding_dimensions", _model.Features.EmbeddingDimensions);
        w.WriteEndObject();
        if (Training is { } t2)
        {
            w.WriteStartObject("training");
            w.WriteNumber("examples", Examples);
            w.WriteNumber("seed", t2.Seed);
            w.WriteNumber("l2", t2.L2);
            w.WriteNumber("iterations", t2.Iterations);
            w.WriteNumber("folds", t2.Folds);
            w.WriteEndObject();
        }

        WriteFloats(w, "dense_mean", _model.DenseMean);
        WriteFloats(w, "dense_scale", _model.DenseScale);
        w.WriteStartArray("heads");
        foreach (var head in _model.Heads)
        {
            w.WriteStartObject();
            w.WriteString("tier", head.Tier);
            w.WriteNumber("bias", head.Bias);
            WriteFloats(w, "dense", head.Dense);
            w.WriteString("sparse_f32le", Pack(head.Sparse));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("head_target", _model.QualityHeads ? "quality" : "gain");
        if (_model.QualityHeads)
        {
            w.WriteNumber("weak_weight", _model.WeakWeight);
        }

        if (_model.Mlp is { } mlp && _model.MlpWeight > 0)
        {
            mlp.Write(w, _model.MlpWeight);
        }

        if (_model.Topics is { Blend: > 0 } topics)
        {
            RouterTopicsFile.Write(w, topics);
        }
        w.WriteEndObject();
    }

    private static LearnedRouter Load(Stream stream, IEmbeddingGenerator<string, Embedding<float>>? embedder, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{source} is not JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            try
            {
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != FileFormat)
                {
                    throw new FormatException($"{source} is not a router file (its \"format\" must be \"{FileFormat}\"); write one with tokengov route train.");
                }

                var version = root.GetProperty("version").GetInt32();
                if (version is not (1 or 2 or 3 or FileVersion))
                {
                    throw new FormatException($"{source} has router file version {version}; this library reads versions 1 to {FileVersion}. Retrain it with this version's tokengov route train.");
                }

                // Version 3 names what the heads predict; versions 1 and 2 have gain heads only.
                var qualityHeads = version >= 3 && root.TryGetProperty("head_target", out var target) && target.GetString() switch
                {
                    "quality" => true,
                    "gain" => false,
                    var other => throw new FormatException($"{source} has head_target '{other}'; it must be \"quality\" or \"gain\"."),
                };

                var tiers = root.GetProperty("tiers").EnumerateArray().Select(t => t.GetString() ?? throw new FormatException("a tier name is null")).ToArray();
                var featuresJson = root.GetProperty("features");
                var hashBits = featuresJson.GetProperty("hash_bits").GetInt32();
                if (hashBits is < 8 or > 22 || featuresJson.GetProperty("rules").GetInt32() != RouterFeatures.RuleCount)
                {
                    throw new FormatException($"{source} was written for another feature layout; retrain it with this version's tokengov route train.");
                }

                var dims = featuresJson.GetProperty("embedding_dimensions").GetInt32();
                var embedderName = featuresJson.TryGetProperty("embedder", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                CheckEmbedder(source, embedderName, dims, embedder);
                var features = new RouterFeatures(hashBits, dims);
                var heads = root.GetProperty("heads").EnumerateArray().Select(h => new RouterHead(
                    h.GetProperty("tier").GetString() ?? string.Empty,
                    h.GetProperty("bias").GetSingle(),
                    Unpack(h.GetProperty("sparse_f32le").GetString() ?? string.Empty, features.HashDimensions, source),
                    ReadFloats(h.GetProperty("dense"), features.DenseCount, source))).ToArray();
                var outputs = qualityHeads ? heads.Length - 1 : heads.Length;
                if (tiers.Length < 2 || outputs != tiers.Length - 1)
                {
                    throw new FormatException(qualityHeads
                        ? $"{source} has {tiers.Length} tiers and {heads.Length} quality heads; a router with quality heads has one head per tier."
                        : $"{source} has {tiers.Length} tiers and {heads.Length} heads; a router has one head per tier above the cheapest.");
                }

                var (mlp, mlpWeight) = version >= 4 && qualityHeads && root.TryGetProperty("mlp", out var mlpJson)
                    ? RouterMlp.Read(mlpJson, features.DenseCount, heads.Length, source)
                    : (null, 0.0);
                var model = new RouterModel(features, ReadFloats(root.GetProperty("dense_mean"), features.DenseCount, source),
                    ReadFloats(root.GetProperty("dense_scale"), features.DenseCount, source), heads,
                    root.TryGetProperty("topics", out var topics) ? RouterTopicsFile.Read(topics, outputs, dims, source) : null)
                {
                    QualityHeads = qualityHeads,
                    WeakWeight = qualityHeads && root.TryGetProperty("weak_weight", out var weakWeight) ? weakWeight.GetDouble() : 1,
                    Mlp = mlp,
                    MlpWeight = mlpWeight,
                };
                if (!double.IsFinite(model.WeakWeight) || model.WeakWeight is < 0 or > 10)
                {
                    throw new FormatException($"{source} has weak_weight {model.WeakWeight.ToString(CultureInfo.InvariantCulture)}; it must be in [0, 10].");
                }
                var point = root.GetProperty("trained_operating_point");
                var shares = root.GetProperty("strong_share_thresholds").EnumerateArray().Select(s => s.GetDouble()).ToArray();
                if (shares.Length < 2)
                {
                    throw new FormatException($"{source} has no strong_share_thresholds.");
                }

                var examples = root.TryGetProperty("training", out var training) && training.TryGetProperty("examples", out var n) ? n.GetInt32() : 0;
                var threshold = root.GetProperty("threshold").GetDouble();
                if (threshold is < 0 or > 1)
                {
                    throw new FormatException($"{source} has threshold {threshold.ToString(CultureInfo.InvariantCulture)}; it must be in [0, 1].");
                }

                return new LearnedRouter(model, tiers, threshold, shares, embedderName, embedder,
                    new OperatingPoint(point.GetProperty("strong_share").GetDouble(), point.GetProperty("quality_kept").GetDouble()), null, examples);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException and not EmbedderMismatchException)
            {
                throw new FormatException($"{source} is damaged or not a router file: {ex.Message}", ex);
            }
        }
    }

    private static void CheckEmbedder(string source, string? name, int dims, IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        if (dims == 0)
        {
            return;
        }

        if (embedder is null)
        {
            throw new EmbedderMismatchException($"{source} was trained with the embedder '{name}' ({dims} dimensions); load it with that embedder (LearnedRouter.Load(path, embedder), RoutingOptions.RouterEmbeddingGenerator, or tokengov --embedder).");
        }

        var actual = NameOf(embedder);
        var actualDims = embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions;
        if ((actual is not null && name is not null && !string.Equals(actual, name, StringComparison.Ordinal)) || (actualDims is { } d && d != dims))
        {
            throw new EmbedderMismatchException($"{source} was trained with the embedder '{name}' ({dims} dimensions) but was given '{actual}' ({actualDims} dimensions); load it with the embedder it was trained with.");
        }
    }

    private static string? NameOf(IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        embedder.GetService<EmbeddingGeneratorMetadata>() is { } m ? m.DefaultModelId ?? m.ProviderName : null;

    private async ValueTask<double[]> PredictAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        float[]? vector = null;
        if (_model.Features.EmbeddingDimensions > 0)
        {
            var embedder = _embedder ?? throw new InvalidOperationException("This router needs its embedder.");
            vector = (await embedder.GenerateVectorAsync(RouterFeatures.TextOf(messages), cancellationToken: cancellationToken).ConfigureAwait(false)).ToArray();
        }

        var row = _model.Features.Extract(messages, vector);
        var clusters = _model.Topics is { Blend: > 0 } topics ? topics.Topics.Assign(RouterFeatures.TextOf(messages), vector) : [];
        var p = new double[_model.Outputs];
        _model.Predict(row, clusters, p);
        return p;
    }

    private static string[] TierOrder(IReadOnlyList<RoutingExample> examples, IReadOnlyList<string>? configured)
    {
        var sums = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            foreach (var (tier, q) in e.Quality)
            {
                if (q is < 0 or > 1 || double.IsNaN(q))
                {
                    throw new ArgumentException($"Tier '{tier}' has quality {q.ToString(CultureInfo.InvariantCulture)}; qualities must be in [0, 1].", nameof(examples));
                }

                var s = sums.GetValueOrDefault(tier);
                sums[tier] = (s.Sum + q, s.Count + 1);
            }
        }

        if (configured is { } tiers)
        {
            if (tiers.FirstOrDefault(t => !sums.ContainsKey(t)) is { } missing)
            {
                throw new ArgumentException($"No example gives a quality for tier '{missing}' (examples name {string.Join(", ", sums.Keys)}).", nameof(examples));
            }

            return [.. tiers];
        }

        if (sums.Count < 2)
        {
            throw new ArgumentException($"The examples give qualities for {sums.Count} tier(s); a router needs at least two.", nameof(examples));
        }

        return [.. sums.OrderBy(s => s.Value.Sum / s.Value.Count).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key)];
    }

    private static double[][] Qualities(IReadOnlyList<RoutingExample> examples, string[] tiers)
    {
        var result = new double[examples.Count][];
        for (var i = 0; i < examples.Count; i++)
        {
            result[i] = new double[tiers.Length];
            for (var t = 0; t < tiers.Length; t++)
            {
                result[i][t] = examples[i].Quality.TryGetValue(tiers[t], out var q) ? q : double.NaN;
            }
        }

        return result;
    }

    private static async Task<Embedded> EmbedAsync(List<string> texts, IEmbeddingGenerator<string, Embedding<float>>? embedder, CancellationToken cancellationToken)
    {
        if (embedder is null)
        {
            return new Embedded(null, 0, []);
        }

        const int Batch = 64;
        var vectors = new float[texts.Count][];
        for (var start = 0; start < texts.Count; start += Batch)
        {
            var batch = texts.GetRange(start, Math.Min(Batch, texts.Count - start));
            var result = await embedder.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < result.Count; i++)
            {
                vectors[start + i] = result[i].Vector.ToArray();
            }
        }

        var dims = vectors.Length > 0 ? vectors[0].Length : 0;
        return new Embedded(NameOf(embedder) ?? "embedder", dims, vectors);
    }

    internal static void WriteFloats(Utf8JsonWriter w, string name, float[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    internal static float[] ReadFloats(JsonElement array, int expected, string source)
    {
        var values = array.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return values.Length == expected ? values : throw new FormatException($"{source} has {values.Length} values where {expected} were expected.");
    }

    internal static string Pack(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    internal static float[] Unpack(string base64, int expected, string source)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length != expected * 4)
        {
            throw new FormatException($"{source} has {bytes.Length / 4} hashed weights where {expected} were expected.");
        }

        var values = new float[expected];
        for (var i = 0; i < expected; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        }

        return values;
    }

    internal readonly record struct OperatingPoint(double StrongShare, double QualityKept);

    private sealed record Embedded(string? Name, int Dimensions, float[][] Vectors)
    {
        public ReadOnlySpan<float> Vector(int i) => Dimensions == 0 ? [] : Vectors[i];
    }

    private sealed class EmbedderMismatchException(string message) : InvalidOperationException(message);
}
