using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>A delegating client that adds nothing: the baseline for decorator overhead.</summary>
internal sealed class PassThroughChatClient(IChatClient inner) : DelegatingChatClient(inner);

/// <summary>A provider stand-in that returns one completed response instantly.</summary>
internal sealed class CompletedChatClient(ChatResponse response) : IChatClient
{
    private readonly Task<ChatResponse> _task = Task.FromResult(response);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => _task;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
