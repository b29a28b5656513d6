using System.Text.Json;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

/// <summary>How often the default classifier and routing rules pick the labelled tier on data/routing-prompts.jsonl, and the
/// cost saving against sending everything to the top tier at that accuracy.</summary>
public class RoutingEvaluationTests
{
    [Fact]
    public void DefaultRouting_LabelledPrompts_AccuracyAndSavingAreMeasured()
    {
        var rows = File.ReadLines(TestPaths.TestData("routing-prompts.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (Prompt: e.GetProperty("prompt").GetString()!, Tier: e.GetProperty("tier").GetString()!)).ToList();
        var options = new RoutingOptions().UseOpenAITiers();
        var router = new ModelRoutingChatClient(new TestChatClient(), options);
        var names = options.Tiers.Select(t => t.Name).ToArray();
        var top = PriceCatalog.BuiltIn.GetPrice(options.Tiers[^1].Deployments[0].ModelId);

        var correct = 0;
        decimal routed = 0, frontier = 0;
        foreach (var (prompt, label) in rows)
        {
            var messages = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, prompt) };
            var (tier, _, _) = router.Decide(messages, null);
            correct += names[tier] == label ? 1 : 0;

            // Usage model: the prompt as counted, 300 answer tokens, and 1,500 reasoning tokens on a reasoning tier.
            var input = TiktokenTokenEstimator.Default.CountPromptTokens(messages, null, "gpt-4o");
            var chosen = options.Tiers[tier];
            var usage = new TokenUsage(input, 0, 0, 300, chosen.IsReasoning ? 1_500 : 0);
            routed += CostCalculator.Calculate(usage, PriceCatalog.BuiltIn.GetPrice(chosen.Deployments[0].ModelId)).Total;
            frontier += CostCalculator.Calculate(new TokenUsage(input, 0, 0, 300, 1_500), top).Total;
        }

        var accuracy = (double)correct / rows.Count;
        var saving = 1 - (routed / frontier);
        Console.WriteLine(FormattableString.Invariant($"routing accuracy {correct}/{rows.Count} = {accuracy:P1}; cost ${routed:0.0000} vs all-{names[^1]} ${frontier:0.0000} = {saving:P1} saved"));
        Assert.True(accuracy >= 0.9, $"accuracy {accuracy:P1}"); // in-sample: the default weights were tuned on this set
        Assert.True(saving >= 0.5m, $"saving {saving:P1}");
    }
}
