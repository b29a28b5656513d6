using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Scores how demanding a chat request is, so routing can send it to the cheapest tier that is good enough.</summary>
/// <remarks>Implementations must be thread-safe and fast: classification runs on every routed call.</remarks>
public interface IComplexityClassifier
{
    /// <summary>Assesses a request.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options (tools are a signal).</param>
    /// <param name="tierCount">How many tiers the router has.</param>
    /// <returns>The assessment.</returns>
    ComplexityAssessment Classify(IList<ChatMessage> messages, ChatOptions? options, int tierCount);
}
