using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Testing;

/// <summary>A fake inner client driven by callbacks, in the style of M.E.AI's own test client.</summary>
public sealed class TestChatClient : IChatClient
{
    private int _calls;

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? GetResponseAsyncCallback { get; set; }

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? GetStreamingResponseAsyncCallback { get; set; }

    public Func<Type, object?, object?>? GetServiceCallback { get; set; }

    public ChatClientMetadata? Metadata { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return GetResponseAsyncCallback!(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return GetStreamingResponseAsyncCallback!(messages, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        if (GetServiceCallback is not null)
        {
            return GetServiceCallback(serviceType, serviceKey);
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return Metadata;
        }

        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
    }

    /// <summary>A client that answers every call with <paramref name="text"/> and the given usage.</summary>
    public static TestChatClient Answering(string text, string? modelId, UsageDetails? usage) => new()
    {
        GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = modelId,
            Usage = usage,
            FinishReason = ChatFinishReason.Stop,
        }),
        GetStreamingResponseAsyncCallback = (_, _, ct) => Stream(text, modelId, usage, ct),
    };

    /// <summary>Streams <paramref name="text"/> word by word, then a usage update (when given).</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> Stream(string text, string? modelId, UsageDetails? usage, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var word in text.Split(' '))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = modelId, ResponseId = "r1" };
        }

        if (usage is not null)
        {
            yield return new ChatResponseUpdate { Contents = [new UsageContent(usage)], ModelId = modelId, ResponseId = "r1", FinishReason = ChatFinishReason.Stop };
        }
    }
}
