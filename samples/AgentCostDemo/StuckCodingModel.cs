using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using TokenGovernor;

namespace AgentCostDemo;

/// <summary>
/// A coding agent's model that is stuck: it keeps asking to run the same failing test, and only concludes when it is told to
/// wrap up or when tools are taken away. Usage is billed like OpenAI's: the whole growing history is the prompt every step.
/// </summary>
internal sealed class StuckCodingModel : IChatClient
{
    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var list = messages.ToList();
        var prompt = TiktokenTokenEstimator.Default.CountPromptTokens(list, options, options?.ModelId ?? "o4-mini");
        var message = options?.Tools is { Count: > 0 }
            ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call_{Calls}", "run_tests", new Dictionary<string, object?> { ["path"] = "tests/Parser.Tests" })])
            : new ChatMessage(ChatRole.Assistant, "I could not make the test pass: Parser.cs line 12 still passes a possibly-null value. Next step: guard the ReadLine() result.");
        return Task.FromResult(new ChatResponse(message)
        {
            ModelId = options?.ModelId,
            FinishReason = options?.Tools is { Count: > 0 } ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = prompt, OutputTokenCount = 60 + 400, ReasoningTokenCount = 400 },
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

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
