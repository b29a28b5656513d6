using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// One labelled request for training a <see cref="LearnedRouter"/>: what was asked, and how well each tier answered it
/// (1 = right, 0 = wrong, or a grade in between).
/// </summary>
/// <param name="Messages">The request's messages (the last user turn is what the router reads).</param>
/// <param name="Quality">The quality each tier reached on this request, by tier name, in [0, 1]. Tiers missing from one example
/// are not learned from that example.</param>
[Experimental(DiagnosticIds.LearnedRouting)]
public sealed record RoutingExample(IReadOnlyList<ChatMessage> Messages, IReadOnlyDictionary<string, double> Quality)
{
    /// <summary>Creates a two-tier example from whether the weak and the strong tier answered right.</summary>
    /// <param name="prompt">The user's prompt.</param>
    /// <param name="weakTier">The cheaper tier's name.</param>
    /// <param name="weakCorrect">Whether the cheaper tier answered right.</param>
    /// <param name="strongTier">The stronger tier's name.</param>
    /// <param name="strongCorrect">Whether the stronger tier answered right.</param>
    /// <returns>The example.</returns>
    public static RoutingExample FromOutcomes(string prompt, string weakTier, bool weakCorrect, string strongTier, bool strongCorrect) =>
        new([new ChatMessage(ChatRole.User, prompt)],
            new Dictionary<string, double>(StringComparer.Ordinal) { [weakTier] = weakCorrect ? 1 : 0, [strongTier] = strongCorrect ? 1 : 0 });
}
