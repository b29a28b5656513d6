using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Counts tokens with OpenAI's tiktoken encodings (Microsoft.ML.Tokenizers, data embedded, nothing downloaded):
/// <c>o200k_base</c> for gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and the o1/o3/o4 families, <c>cl100k_base</c> for gpt-4 and gpt-3.5.
/// Other models are estimated from the o200k_base count times a per-family factor (<see cref="TokenEstimatorOptions.HeuristicFactors"/>);
/// <see cref="GetTokenizerInfo"/> states the expected error.
/// </summary>
/// <remarks>
/// <para>Chat requests follow OpenAI's documented counting rule: each message costs 3 tokens plus its role, content and
/// (when present) 1 token plus its name; the reply is primed with 3 more tokens. Tool schemas are estimated with the rule
/// from OpenAI's cookbook (function name and description, each property's name, type, description and enum values, plus fixed
/// overheads); OpenAI does not document the exact tool rendering, so tool counts are estimates.</para>
/// <para>Per-message counts are memoized by a 128-bit content hash in a bounded two-generation cache, so re-counting a growing
/// agent conversation costs one hash per old message and tokenization of the new ones only. Thread-safe.</para>
/// </remarks>
public sealed class TiktokenTokenEstimator : ITokenEstimator
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;
    private const int MaxModelEntries = 1024;

    // Hashing 1,024 characters takes about 100 ns, about what adding a by-reference entry costs (a dependent handle, freed by the GC).
    private const int ByReferenceMinChars = 1024;

    // A request of this many messages or more is a history, which agent loops resend with the same message objects.
    private const int ByReferenceMinMessages = 6;

    private static readonly Lazy<PieceCountingTokenizer> s_o200k = new(OrdinaryTiktoken.O200kBaseCounter);
    private static readonly Lazy<PieceCountingTokenizer> s_cl100k = new(OrdinaryTiktoken.Cl100kBaseCounter);

    private readonly TokenEstimatorOptions _options;
    private readonly ConcurrentDictionary<string, ModelTokenizer> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly MessageCountCache? _messageCache;
    private readonly ConditionalWeakTable<AITool, int[]> _toolCounts = new();
    private readonly ConditionalWeakTable<ChatMessage, MessageMemo> _byReference = new();
    private readonly ModelTokenizer _default;
    private long _messagesTokenized;

    /// <summary>Initializes a new estimator.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults. They are copied.</param>
    public TiktokenTokenEstimator(TokenEstimatorOptions? options = null)
    {
        _options = new TokenEstimatorOptions
        {
            MessageCacheCapacity = options?.MessageCacheCapacity ?? 16_384,
            UnknownModelFactor = options?.UnknownModelFactor ?? 1.15,
            TokensPerImage = options?.TokensPerImage ?? 765,
        };

        if (options is not null)
        {
            _options.HeuristicFactors.Clear();
            foreach (var kv in options.HeuristicFactors)
            {
                _options.HeuristicFactors[kv.Key] = kv.Value;
            }

            _options.HeuristicErrors.Clear();
            foreach (var kv in options.HeuristicErrors)
            {
                _options.HeuristicErrors[kv.Key] = kv.Value;
            }
        }

        _messageCache = _options.MessageCacheCapacity > 0 ? new MessageCountCache(_options.MessageCacheCapacity) : null;
        _default = new ModelTokenizer(0, s_o200k, 1.0, new TokenizerInfo("o200k_base", true, 0), FuncInit: 7);
    }

    /// <summary>Gets a shared estimator with default options.</summary>
    public static TiktokenTokenEstimator Default { get; } = new();

    /// <summary>Gets how many messages were tokenized rather than served from the memo (for tests and diagnostics).</summary>
    internal long MessagesTokenized => Interlocked.Read(ref _messagesTokenized);

    /// <summary>Gets how many per-message counts are memoized now.</summary>
    internal int CachedMessageCount => _messageCache?.Count ?? 0;

    /// <inheritdoc />
    public TokenizerInfo GetTokenizerInfo(string? modelId) => GetModel(modelId).Info;

    /// <inheritdoc />
    public int CountTokens(string text, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(text);
        var model = GetModel(modelId);
        return Scale(model.Tokenizer.Value.CountTokens(text), model.Factor);
    }

    /// <inheritdoc />
    public int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var model = GetModel(modelId);
        var tokenizer = model.Tokenizer.Value;

        long total = ReplyPriming;
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            total += TokensPerMessage + CountRole(tokenizer, model.Index, ChatRole.System) + tokenizer.CountTokens(options.Instructions);
        }

        if (messages is IList<ChatMessage> list)
        {
            var history = list.Count >= ByReferenceMinMessages;
            for (var i = 0; i < list.Count; i++)
            {
                total += CountMessage(list[i], model, tokenizer, history);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                total += CountMessage(message, model, tokenizer, history: true);
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            total += CountTools(tools, model, tokenizer);
        }

        return Scale(total, model.Factor);
    }

    private static int Scale(long raw, double factor) =>
        factor == 1.0 ? (int)Math.Min(raw, int.MaxValue) : (int)Math.Min(Math.Ceiling(raw * factor), int.MaxValue);

    private static int CountRole(PieceCountingTokenizer tokenizer, int encodingIndex, ChatRole role)
    {
        // Roles are tiny and few: the common four are one token in both encodings; others are counted.
        return role == ChatRole.User || role == ChatRole.Assistant || role == ChatRole.System || role == ChatRole.Tool
            ? 1
            : tokenizer.CountTokens(role.Value);
    }

    private long CountMessage(ChatMessage message, ModelTokenizer model, PieceCountingTokenizer tokenizer, bool history)
    {
        if (message is null)
        {
            throw new ArgumentException("The message list contains a null message.", nameof(message));
        }

        if (_messageCache is null)
        {
            return CountMessageUncached(message, message.Contents, tokenizer, model.Index);
        }

        // Fast path: the same message object seen before with the same content objects (agent loops resend the same
        // ChatMessage instances), verified by reference so a mutated message is never served a stale count. Only where it
        // pays: in a history (agent loops resend it, message objects and all) or for a long message. The few messages of a
        // short request are usually new objects on every call, and adding a table entry (a dependent GC handle) for each
        // costs more than hashing a short message again.
        var contents = message.Contents;
        var byReference = history || IsLong(contents);
        if (byReference && _byReference.TryGetValue(message, out var memo) && memo.Matches(message, model.Index))
        {
            return memo.Count;
        }

        // The same short message counted again just before on this thread (routing's context check, then the budget's estimate,
        // count each request's messages): verified by reference like the memo above, without hashing the text again.
        if (!byReference && RecentCount.TryGet(this, message, model.Index, out var recent))
        {
            return recent;
        }

        int counted;
        if (TryComputeKey(message, model.Index, out var key))
        {
            if (!_messageCache.TryGet(key, out counted))
            {
                counted = CountMessageUncached(message, contents, tokenizer, model.Index);
                _messageCache.Add(key, counted);
            }
        }
        else
        {
            counted = CountMessageUncached(message, contents, tokenizer, model.Index);
        }

        if (byReference)
        {
            _byReference.AddOrUpdate(message, MessageMemo.Create(message, model.Index, counted));
        }
        else
        {
            RecentCount.Add(this, message, model.Index, counted);
        }

        return counted;
    }

    /// <summary>
    /// The last few single-text messages counted on this thread, by reference: the message, its content list, its one text
    /// content and that content's string, role and author name all the same objects means the same text, so the count is the
    /// same (a changed message fails one of the checks and is counted, or looked up, again). No allocation, no lock; it holds
    /// the last <see cref="Size"/> messages of each thread alive until they are replaced.
    /// </summary>
    private struct RecentCount
    {
        private const int Size = 8;

        [ThreadStatic]
        private static RecentCount[]? t_ring;

        [ThreadStatic]
        private static int t_next;

        private TiktokenTokenEstimator? _owner;
        private ChatMessage? _message;
        private IList<AIContent>? _contents;
        private TextContent? _content;
        private string? _text;
        private string? _author;
        private ChatRole _role;
        private int _encoding;
        private int _count;

        public static bool TryGet(TiktokenTokenEstimator owner, ChatMessage message, int encoding, out int count)
        {
            if (t_ring is { } ring)
            {
                for (var i = 0; i < ring.Length; i++)
                {
                    ref var entry = ref ring[i];
                    if (ReferenceEquals(entry._message, message) && ReferenceEquals(entry._owner, owner) && entry._encoding == encoding && entry.Matches(message))
                    {
                        count = entry._count;
                        return true;
                    }
                }
            }

            count = 0;
            return false;
        }

        public static void Add(TiktokenTokenEstimator owner, ChatMessage message, int encoding, int count)
        {
            var contents = message.Contents;
            if (contents.Count != 1 || contents[0] is not TextContent { Text: { } text } content)
            {
                return;
            }

            var ring = t_ring ??= new RecentCount[Size];
            var slot = t_next;
            t_next = (slot + 1) % Size;
            ring[slot] = new RecentCount
            {
                _owner = owner, _message = message, _contents = contents, _content = content, _text = text, _author = message.AuthorName,
                _role = message.Role, _encoding = encoding, _count = count,
            };
        }

        private readonly bool Matches(ChatMessage message)
        {
            var contents = message.Contents;
            return ReferenceEquals(contents, _contents) && contents.Count == 1 && ReferenceEquals(contents[0], _content) &&
                ReferenceEquals(_content!.Text, _text) && ReferenceEquals(message.AuthorName, _author) && message.Role == _role;
        }
    }

    /// <summary>Whether a message's text is long enough (<see cref="ByReferenceMinChars"/>) that remembering its count by object
    /// reference is cheaper than hashing its content again; tool calls and results are always hashed.</summary>
    private static bool IsLong(IList<AIContent> contents)
    {
        var length = 0;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is TextContent { Text: { } text })
            {
                length += text.Length;
            }
        }

        return length >= ByReferenceMinChars;
    }

    private int CountMessageUncached(ChatMessage message, IList<AIContent> contents, PieceCountingTokenizer tokenizer, int encodingIndex)
    {
        Interlocked.Increment(ref _messagesTokenized);
        long count = TokensPerMessage + CountRole(tokenizer, encodingIndex, message.Role);
        if (!string.IsNullOrEmpty(message.AuthorName))
        {
            count += TokensPerName + tokenizer.CountTokens(message.AuthorName);
        }

        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case TextContent text:
                    count += tokenizer.CountTokens(text.Text);
                    break;
                case TextReasoningContent:
                    // Reasoning from earlier turns is not sent back as prompt text by chat-completions providers.
                    break;
                case FunctionCallContent call:
                    count += TokensPerMessage + tokenizer.CountTokens(call.Name) + tokenizer.CountTokens(SerializeArguments(call.Arguments));
                    break;
                case FunctionResultContent result:
                    count += tokenizer.CountTokens(SerializeResult(result.Result));
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                    count += _options.TokensPerImage;
                    break;
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    count += _options.TokensPerImage;
                    break;
                default:
                    break;
            }
        }

        return (int)Math.Min(count, int.MaxValue);
    }

    private static bool TryComputeKey(ChatMessage message, int encodingIndex, out UInt128 key)
    {
        // Seed: encoding + role + name, so the same text under another role or tokenizer is a different entry.
        var seed = (long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(message.Role.Value.AsSpan()), encodingIndex);
        if (message.AuthorName is { Length: > 0 } name)
        {
            seed = (long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(name.AsSpan()), seed);
        }

        var contents = message.Contents;
        UInt128 hash = (ulong)seed;
        for (var i = 0; i < contents.Count; i++)
        {
            ReadOnlySpan<char> part;
            switch (contents[i])
            {
                case TextContent text:
                    part = text.Text.AsSpan();
                    break;
                case TextReasoningContent:
                    continue;
                case FunctionCallContent call:
                    part = string.Concat(call.CallId, "\u0001", call.Name, "\u0001", SerializeArguments(call.Arguments)).AsSpan();
                    break;
                case FunctionResultContent result:
                    part = string.Concat(result.CallId, "\u0002", SerializeResult(result.Result)).AsSpan();
                    break;
                case DataContent or UriContent:
                    part = "\u0003image".AsSpan();
                    break;
                default:
                    key = default;
                    return false;
            }

            var partSeed = (long)(ulong)(hash ^ (hash >> 64)) + i;
            hash = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(part), partSeed);
        }

        key = hash ^ ((UInt128)(ulong)contents.Count << 120);
        return true;
    }

    private static string SerializeArguments(IDictionary<string, object?>? arguments) =>
        arguments is null || arguments.Count == 0 ? "{}" : JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string SerializeResult(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? string.Empty : e.GetRawText(),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())),
    };

    private long CountTools(IList<AITool> tools, ModelTokenizer model, PieceCountingTokenizer tokenizer)
    {
        long total = 0;
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            var counts = _toolCounts.GetValue(tool, static _ => [-1, -1]);
            var c = Volatile.Read(ref counts[model.Index]);
            if (c < 0)
            {
                c = CountTool(tool, model, tokenizer);
                Volatile.Write(ref counts[model.Index], c);
            }

            total += c;
        }

        return total + 12; // func_end
    }

    private static int CountTool(AITool tool, ModelTokenizer model, PieceCountingTokenizer tokenizer)
    {
        var count = model.FuncInit + tokenizer.CountTokens(tool.Name + ":" + TrimPeriod(tool.Description));
        if (tool is not AIFunctionDeclaration function ||
            function.JsonSchema.ValueKind != JsonValueKind.Object ||
            !function.JsonSchema.TryGetProperty("properties", out var properties) ||
            properties.ValueKind != JsonValueKind.Object)
        {
            return count;
        }

        var any = false;
        foreach (var property in properties.EnumerateObject())
        {
            if (!any)
            {
                count += 3; // prop_init
                any = true;
            }

            count += 3; // prop_key
            var type = property.Value.TryGetProperty("type", out var t) ? (t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText()) : "object";
            var description = property.Value.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : string.Empty;
            if (property.Value.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
            {
                count -= 3; // enum_init
                foreach (var value in values.EnumerateArray())
                {
                    count += 3 + tokenizer.CountTokens(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());
                }
            }

            count += tokenizer.CountTokens($"{property.Name}:{type}:{TrimPeriod(description)}");
        }

        return count;
    }

    private static string TrimPeriod(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : text.EndsWith('.') ? text[..^1] : text;

    private ModelTokenizer GetModel(string? modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return _default;
        }

        if (_models.TryGetValue(modelId, out var model))
        {
            return model;
        }

        model = Classify(modelId);
        if (_models.Count < MaxModelEntries)
        {
            _models.TryAdd(modelId, model);
        }

        return model;
    }

    private ModelTokenizer Classify(string modelId)
    {
        // Strip provider prefixes ("openai/gpt-4o", "azure/gpt-4.1") and Bedrock vendor prefixes.
        var id = modelId.Trim();
        var slash = id.LastIndexOf('/');
        var name = slash >= 0 ? id[(slash + 1)..] : id;
        var dot = name.IndexOf("anthropic.", StringComparison.OrdinalIgnoreCase);
        if (dot >= 0)
        {
            name = name[(dot + "anthropic.".Length)..];
        }

        if (IsO200k(name))
        {
            return _default;
        }

        if (name.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("gpt-35", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("text-embedding-3", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("text-embedding-ada-002", StringComparison.OrdinalIgnoreCase))
        {
            return new ModelTokenizer(1, s_cl100k, 1.0, new TokenizerInfo("cl100k_base", true, 0), FuncInit: 10);
        }

        string? best = null;
        foreach (var prefix in _options.HeuristicFactors.Keys)
        {
            if ((name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ||
                 id.Contains("/" + prefix, StringComparison.OrdinalIgnoreCase)) &&
                (best is null || prefix.Length > best.Length))
            {
                best = prefix;
            }
        }

        if (best is null)
        {
            return new ModelTokenizer(0, s_o200k, _options.UnknownModelFactor,
                new TokenizerInfo(FormattableString.Invariant($"o200k_base x{_options.UnknownModelFactor:0.00} (heuristic, unknown model family)"), false, 0.20), FuncInit: 7);
        }

        var factor = _options.HeuristicFactors[best];
        var error = _options.HeuristicErrors.TryGetValue(best, out var e) ? e : 0.10;
        return new ModelTokenizer(0, s_o200k, factor,
            new TokenizerInfo(FormattableString.Invariant($"o200k_base x{factor:0.00} (heuristic for {best})"), false, error), FuncInit: 7);
    }

    private static bool IsO200k(string name)
    {
        ReadOnlySpan<string> prefixes = ["gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "chatgpt-4o", "o1", "o3", "o4", "ft:gpt-4o", "ft:gpt-4.1"];
        foreach (var prefix in prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) &&
                (name.Length == prefix.Length || !char.IsDigit(name[prefix.Length]) || prefix.Contains('.', StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A count remembered for one message object, valid while its role, name and content objects are unchanged.</summary>
    private sealed class MessageMemo
    {
        private ChatRole _role;
        private string? _authorName;
        private IList<AIContent> _contents = null!;
        private object?[] _parts = null!;

        public int Encoding { get; private set; }

        public int Count { get; private set; }

        public static MessageMemo Create(ChatMessage message, int encoding, int count)
        {
            var contents = message.Contents;
            var parts = new object?[contents.Count * 2];
            for (var i = 0; i < contents.Count; i++)
            {
                parts[2 * i] = contents[i];
                parts[(2 * i) + 1] = contents[i] is TextContent t ? t.Text : null;
            }

            return new MessageMemo { _role = message.Role, _authorName = message.AuthorName, _contents = contents, _parts = parts, Encoding = encoding, Count = count };
        }

        public bool Matches(ChatMessage message, int encoding)
        {
            var contents = message.Contents;
            if (encoding != Encoding || !ReferenceEquals(contents, _contents) || contents.Count * 2 != _parts.Length ||
                message.Role != _role || !ReferenceEquals(message.AuthorName, _authorName))
            {
                return false;
            }

            for (var i = 0; i < contents.Count; i++)
            {
                var content = contents[i];
                if (!ReferenceEquals(content, _parts[2 * i]) ||
                    (content is TextContent t && !ReferenceEquals(t.Text, _parts[(2 * i) + 1])) ||
                    content is not (TextContent or TextReasoningContent))
                {
                    // Only plain text is verifiable by reference; tool calls and results go through the content hash.
                    return false;
                }
            }

            return true;
        }
    }

    private sealed record ModelTokenizer(int Index, Lazy<PieceCountingTokenizer> Tokenizer, double Factor, TokenizerInfo Info, int FuncInit);
}
