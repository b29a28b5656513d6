using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace TokenGovernor.Embeddings.MiniLM;

/// <summary>
/// A local neural embedder: all-MiniLM-L6-v2 (sentence-transformers) on ONNX Runtime, in-process and offline. 384 dimensions,
/// mean pooling over the tokens, L2-normalised, so the cosine similarity of two vectors is their dot product.
/// </summary>
/// <remarks>
/// <para>The model and its vocabulary ship in this package and are loaded from files (memory is the model's, about 90 MB per
/// session, not a second copy in managed memory). Nothing is downloaded.</para>
/// <para>Thread-safe. Concurrent requests are gathered into shared ONNX runs (micro-batching): while a run is in progress,
/// arriving texts queue, and the next run takes them all, sorted into length buckets so that short texts are not padded to
/// the length of a long one. Runs are spread over a small pool of sessions sized for the machine.</para>
/// <para>Use it for the semantic cache through <c>AddTokenGovernor().AddLocalEmbeddings()</c> or by passing it to
/// <c>UseSemanticCache</c>; the cache memoizes embeddings of repeated texts.</para>
/// </remarks>
public sealed class MiniLMEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The vector dimension.</summary>
    public const int Dimensions = 384;

    /// <summary>The model id reported in <see cref="EmbeddingGeneratorMetadata"/> and on every embedding.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>The provider name reported in <see cref="EmbeddingGeneratorMetadata"/>.</summary>
    public const string ProviderName = "tokengovernor-minilm";

    /// <summary>The semantic cache's defaults with this embedder: the threshold calibrated on public paraphrase sets (see
    /// docs/Caching.md for how, and the held-out precision and recall) and the meaning-based guard.</summary>
    private static readonly SemanticCacheDefaults s_cacheDefaults = new(0.90f, SemanticCacheGuard.Meaning, QuestionMargin: 0.05f);

    private static readonly ModelPrice s_price = new(ModelId, 0m, 0m) { Provider = ProviderName };

    private static readonly int[] s_bucketEdges = [16, 32, 64, 128, 256, 512];

    private readonly MiniLMEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly BertTokenizer _tokenizer;
    private readonly InferenceSession[] _sessions;
    private readonly ConcurrentBag<InferenceSession> _idle;
    private readonly SemaphoreSlim _free;
    private readonly ConcurrentQueue<Request> _queue = new();
    private readonly bool _hasTokenTypes;
    private readonly string _outputName;
    private long _runs;
    private long _texts;
    private int _disposed;

    /// <summary>Initializes a new embedder, loading the model (and, by default, running it once on every session).</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="FileNotFoundException">The model or vocabulary file is not where the options say.</exception>
    public MiniLMEmbeddingGenerator(MiniLMEmbeddingOptions? options = null)
    {
        _options = (options ?? new MiniLMEmbeddingOptions()).Clone();
        MiniLMEmbeddingOptionsValidator.ThrowIfInvalid(_options);
        var modelPath = _options.ModelPath ?? Path.Combine(AppContext.BaseDirectory, "minilm", "model.onnx");
        var vocabPath = _options.VocabularyPath ?? Path.Combine(AppContext.BaseDirectory, "minilm", "vocab.txt");
        ThrowIfMissing(modelPath, nameof(MiniLMEmbeddingOptions.ModelPath));
        ThrowIfMissing(vocabPath, nameof(MiniLMEmbeddingOptions.VocabularyPath));

        // Lower-cases, strips accents, splits punctuation, then WordPiece: an unknown word becomes its pieces, not [UNK].
        _tokenizer = BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        var cores = Environment.ProcessorCount;
        SessionCount = _options.SessionCount > 0 ? _options.SessionCount : Math.Max(1, cores / 4);
        IntraOpThreads = _options.IntraOpThreads > 0 ? _options.IntraOpThreads : Math.Max(1, cores / SessionCount);
        _sessions = new InferenceSession[SessionCount];
        try
        {
            for (var i = 0; i < _sessions.Length; i++)
            {
                using var sessionOptions = new SessionOptions
                {
                    IntraOpNumThreads = IntraOpThreads,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                };
                _sessions[i] = new InferenceSession(modelPath, sessionOptions);
            }
        }
        catch
        {
            foreach (var session in _sessions)
            {
                session?.Dispose();
            }

            throw;
        }

        _hasTokenTypes = _sessions[0].InputMetadata.ContainsKey("token_type_ids");
        _outputName = _sessions[0].OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _sessions[0].OutputNames[0];
        _idle = new ConcurrentBag<InferenceSession>(_sessions);
        _free = new SemaphoreSlim(_sessions.Length, _sessions.Length);
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, defaultModelId: ModelId, defaultModelDimensions: Dimensions);
        if (_options.WarmUp)
        {
            foreach (var session in _sessions)
            {
                var warm = new Request(Tokenize("warm up the model"), new float[Dimensions]);
                Run(session, [warm]);
            }
        }
    }

    /// <summary>Gets how many ONNX Runtime sessions run at once.</summary>
    public int SessionCount { get; }

    /// <summary>Gets the intra-op threads of each session.</summary>
    public int IntraOpThreads { get; }

    /// <summary>Gets how many ONNX runs this embedder has made (warm-up included); with <see cref="TextsEmbedded"/> it shows how well
    /// concurrent requests were batched.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Gets how many texts this embedder has embedded (warm-up included).</summary>
    public long TextsEmbedded => Interlocked.Read(ref _texts);

    /// <summary>Tokenizes a text as the model reads it: <c>[CLS]</c>, its WordPiece ids (cut to <see cref="MiniLMEmbeddingOptions.MaxTokens"/>), <c>[SEP]</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The token ids.</returns>
    public IReadOnlyList<int> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeToIds(text, _options.MaxTokens, addSpecialTokens: true, out _, out _);
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var requests = new List<Request>();
        foreach (var value in values)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(values));
            requests.Add(new Request(Tokenize(value), new float[Dimensions]));
        }

        foreach (var request in requests)
        {
            _queue.Enqueue(request);
        }

        using (cancellationToken.Register(static state => CancelAll((List<Request>)state!), requests))
        {
            await DrainAsync().ConfigureAwait(false);
            var result = new GeneratedEmbeddings<Embedding<float>>(requests.Count);
            foreach (var request in requests)
            {
                await request.Completion.Task.ConfigureAwait(false);
                result.Add(new Embedding<float>(request.Vector) { ModelId = ModelId });
            }

            result.Usage = new UsageDetails { InputTokenCount = requests.Sum(r => (long)r.Ids.Count) };
            return result;
        }
    }

    /// <inheritdoc />
    /// <remarks>Besides the metadata and the cache's defaults, it returns a zero <see cref="ModelPrice"/>: the model runs
    /// in-process and costs nothing per call, so the semantic cache does not meter it.</remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null :
            serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata :
            serviceType == typeof(SemanticCacheDefaults) ? s_cacheDefaults :
            serviceType == typeof(ModelPrice) ? s_price :
            serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Wait for runs in progress, then free the sessions.
        for (var i = 0; i < _sessions.Length; i++)
        {
            _free.Wait();
        }

        foreach (var session in _sessions)
        {
            session.Dispose();
        }

        while (_queue.TryDequeue(out var request))
        {
            request.Completion.TrySetException(new ObjectDisposedException(nameof(MiniLMEmbeddingGenerator)));
        }

        _free.Dispose();
    }

    private static void ThrowIfMissing(string path, string setting)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"MiniLMEmbeddingOptions.{setting}: '{path}' does not exist. The package TokenGovernor.Embeddings.MiniLM copies the model to minilm/ in the app's output folder at build time; rebuild, or set {setting} to the file's path.",
                path);
        }
    }

    private static void CancelAll(List<Request> requests)
    {
        foreach (var request in requests)
        {
            request.Completion.TrySetCanceled();
        }
    }

    private static int BucketOf(int length)
    {
        for (var i = 0; i < s_bucketEdges.Length; i++)
        {
            if (length <= s_bucketEdges[i])
            {
                return i;
            }
        }

        return s_bucketEdges.Length;
    }

    /// <summary>Runs queued requests while a session is free and the queue is not empty. The caller that finds a free session
    /// does the work for everyone queued; the others wait on their requests.</summary>
    private async Task DrainAsync()
    {
        var batch = new List<Request>(_options.MaxBatchSize);
        while (!_queue.IsEmpty && Volatile.Read(ref _disposed) == 0 && _free.Wait(0))
        {
            InferenceSession? session = null;
            try
            {
                if (_options.BatchWindow > TimeSpan.Zero && _queue.Count < _options.MaxBatchSize)
                {
                    await Task.Delay(_options.BatchWindow, _options.TimeProvider).ConfigureAwait(false);
                }

                _idle.TryTake(out session);
                Debug.Assert(session is not null, "a free slot always has an idle session");
                while (TakeBatch(batch))
                {
                    Run(session!, batch);
                }
            }
            finally
            {
                if (session is not null)
                {
                    _idle.Add(session);
                }

                _free.Release();
            }
        }
    }

    /// <summary>Takes up to MaxBatchSize queued requests of the shortest length bucket among them; requests of other buckets
    /// go back to the queue for the next run.</summary>
    private bool TakeBatch(List<Request> batch)
    {
        batch.Clear();
        var taken = new List<Request>(_options.MaxBatchSize);
        while (taken.Count < _options.MaxBatchSize * 4 && _queue.TryDequeue(out var request))
        {
            if (!request.Completion.Task.IsCompleted)
            {
                taken.Add(request);
            }
        }

        if (taken.Count == 0)
        {
            return false;
        }

        var bucket = taken.Min(r => BucketOf(r.Ids.Count));
        foreach (var request in taken)
        {
            if (batch.Count < _options.MaxBatchSize && BucketOf(request.Ids.Count) == bucket)
            {
                batch.Add(request);
            }
            else
            {
                _queue.Enqueue(request);
            }
        }

        return true;
    }

    private void Run(InferenceSession session, List<Request> batch)
    {
        try
        {
            var rows = batch.Count;
            var width = batch.Max(r => r.Ids.Count);
            var ids = new long[rows * width];
            var mask = new long[rows * width];
            for (var r = 0; r < rows; r++)
            {
                var tokens = batch[r].Ids;
                for (var t = 0; t < tokens.Count; t++)
                {
                    ids[(r * width) + t] = tokens[t];
                    mask[(r * width) + t] = 1;
                }
            }

            long[] shape = [rows, width];
            using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var typesValue = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[rows * width], shape) : null;
            string[] names = _hasTokenTypes ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];
            OrtValue[] inputs = _hasTokenTypes ? [idsValue, maskValue, typesValue!] : [idsValue, maskValue];
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, inputs, [_outputName]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                MeanPoolAndNormalize(hidden.Slice(r * width * Dimensions, width * Dimensions), batch[r].Ids.Count, batch[r].Vector);
            }

            Interlocked.Increment(ref _runs);
            Interlocked.Add(ref _texts, rows);
            foreach (var request in batch)
            {
                request.Completion.TrySetResult();
            }
        }
        catch (Exception ex)
        {
            foreach (var request in batch)
            {
                request.Completion.TrySetException(ex);
            }
        }
    }

    private static void MeanPoolAndNormalize(ReadOnlySpan<float> hidden, int tokens, float[] destination)
    {
        var sum = destination.AsSpan();
        sum.Clear();
        for (var t = 0; t < tokens; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sum, hidden.Slice(t * Dimensions, Dimensions), sum);
        }

        // Dividing by the token count before normalising changes nothing after it; normalise directly.
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(sum);
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, norm, sum);
        }
    }

    private sealed class Request(IReadOnlyList<int> ids, float[] vector)
    {
        public IReadOnlyList<int> Ids { get; } = ids;

        public float[] Vector { get; } = vector;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
