using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>A complexity classifier that needs I/O (an embedding model, or a cheap LLM); set it as <see cref="RoutingOptions.AsyncClassifier"/>.</summary>
/// <remarks>Implementations must be thread-safe and should memoize: classification runs on every routed call.</remarks>
public interface IAsyncComplexityClassifier
{
    /// <summary>Assesses a request.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="tierNames">The router's tier names, cheapest first.</param>
    /// <param name="cancellationToken">Cancels the assessment.</param>
    /// <returns>The assessment.</returns>
    ValueTask<ComplexityAssessment> ClassifyAsync(IList<ChatMessage> messages, ChatOptions? options, IReadOnlyList<string> tierNames, CancellationToken cancellationToken);
}
