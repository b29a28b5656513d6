using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AspNetCoreChat;

/// <summary>Answers without a network when no OpenAI key is configured, with OpenAI-style usage so metering and budgets work.</summary>
internal sealed class OfflineChatClient(string model) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var question = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var answer = $"(offline) You asked: \"{question}\". Configure OpenAI:ApiKey to get real answers.";
        var input = messages.Sum(m => m.Text.Length) / 4 + 8;
        var output = answer.Length / 4;
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = options?.ModelId ?? model,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("offline", defaultModelId: model) : null;

    public void Dispose()
    {
    }
}
