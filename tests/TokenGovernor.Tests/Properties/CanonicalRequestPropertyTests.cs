using System.Text.Json;
using CsCheck;

namespace TokenGovernor.Tests.Properties;

/// <summary>Properties of the exact-cache key (<see cref="CanonicalRequest"/>): equal requests give equal keys, and a change
/// in any keyed field (tenant, model, a message's role, text or author, the message count, non-text contents — data, URIs, tool
/// calls and results —, instructions, temperature, top-p, top-k, penalties, output cap, seed, stop sequences, reasoning effort,
/// response format, tools, provider-specific additional properties) gives another key.</summary>
public class CanonicalRequestPropertyTests
{
    private const int Fields = 21;

    private static readonly ChatRole[] s_roles = [ChatRole.User, ChatRole.Assistant, ChatRole.System];

    private sealed record Spec(string? Tenant, string Model, (int Role, string Text)[] Messages, string? Instructions, int? Temperature,
        int? TopP, int? MaxOutput, long? Seed, string[] Stops)
    {
        public Extras More { get; init; } = Extras.None;
    }

    /// <summary>The keyed fields beyond the first twelve. Reasoning and Format: -1 for none, else an index; Content: -1 for none, else
    /// 0 data, 1 URI, 2 tool call, 3 tool result, carrying <see cref="Payload"/>.</summary>
    private sealed record Extras(int? TopK, int? Frequency, int? Presence, int Reasoning, int Format, string[] Tools, string[] Extra,
        string? Author, int Content, string Payload)
    {
        public static Extras None { get; } = new(null, null, null, -1, -1, [], [], null, -1, "");
    }

    private static readonly ReasoningEffort[] s_efforts = [ReasoningEffort.Low, ReasoningEffort.Medium, ReasoningEffort.High];

    private static readonly Gen<int?> s_smallInt = Gen.Int[-1, 20].Select(t => t < 0 ? (int?)null : t);

    private static readonly Gen<Extras> s_extras = Gen.Select(
        Gen.Select(s_smallInt, s_smallInt, s_smallInt, Gen.Int[-1, 2], Gen.Int[-1, 2]),
        Gen.Select(Gen.String[Gen.Char["abc"], 1, 4].Array[0, 2], Gen.String[Gen.Char["xyz"], 1, 4].Array[0, 2]),
        Gen.Select(Gen.Bool.SelectMany(has => has ? Gen.String[Gen.Char["ab"], 1, 4].Select(t => (string?)t) : Gen.Const((string?)null)), Gen.Int[-1, 3], Gen.String[Gen.Char["ab1"], 1, 6]),
        (a, b, c) => new Extras(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, b.Item1.Distinct().ToArray(), b.Item2.Distinct().ToArray(), c.Item1, c.Item2, c.Item3));

    private static readonly Gen<string> s_text = Gen.String[Gen.Char["abc xyz?é"], 0, 12];

    private static readonly Gen<Spec> s_spec = Gen.Select(
        Gen.Bool.SelectMany(has => has ? s_text.Select(t => (string?)t) : Gen.Const((string?)null)),
        Gen.OneOf("gpt-4o", "gpt-4o-mini", "claude-sonnet-4"),
        Gen.Select(Gen.Int[0, 2], s_text).Array[1, 5],
        Gen.Bool.SelectMany(has => has ? s_text.Select(t => (string?)t) : Gen.Const((string?)null)),
        Gen.Int[-1, 20].Select(t => t < 0 ? (int?)null : t),
        Gen.Int[-1, 100].Select(t => t < 0 ? (int?)null : t),
        Gen.Int[-1, 5_000].Select(t => t < 0 ? (int?)null : t),
        Gen.Select(Gen.Int[-1, 1_000], Gen.Int[0, 0], (seed, _) => seed < 0 ? (long?)null : seed),
        (tenant, model, messages, instructions, temperature, topP, maxOutput, seed) =>
            new Spec(tenant, model, messages, instructions, temperature, topP, maxOutput, seed, []))
        .SelectMany(spec => s_text.Array[0, 2].Select(stops => spec with { Stops = stops }))
        .SelectMany(spec => s_extras.Select(more => spec with { More = more }));

    private static AIContent ContentOf(Extras e) => e.Content switch
    {
        0 => new DataContent(System.Text.Encoding.UTF8.GetBytes(e.Payload), "application/octet-stream"),
        1 => new UriContent(new Uri("https://example.com/" + e.Payload), "image/png"),
        2 => new FunctionCallContent("call-1", "lookup", new Dictionary<string, object?> { ["q"] = e.Payload }),
        _ => new FunctionResultContent("call-1", e.Payload),
    };

    private static UInt128 Key(Spec spec)
    {
        // Built afresh each time: equal keys must come from equal content, not shared instances.
        var more = spec.More;
        var messages = spec.Messages.Select(m => new ChatMessage(s_roles[m.Role], m.Text)).ToList();
        messages[0].AuthorName = more.Author;
        if (more.Content >= 0)
        {
            messages[^1].Contents.Add(ContentOf(more));
        }

        var options = new ChatOptions
        {
            TopK = more.TopK,
            FrequencyPenalty = more.Frequency is { } f ? f / 10f : null,
            PresencePenalty = more.Presence is { } pp ? pp / 10f : null,
            Reasoning = more.Reasoning < 0 ? null : new ReasoningOptions { Effort = s_efforts[more.Reasoning] },
            ResponseFormat = more.Format switch
            {
                < 0 => null,
                0 => ChatResponseFormat.Text,
                1 => ChatResponseFormat.Json,
                _ => ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object"}""").RootElement, "answer"),
            },
            Tools = more.Tools.Length == 0 ? null : [.. more.Tools.Select(t => AIFunctionFactory.CreateDeclaration(t, "a tool", JsonDocument.Parse("""{"type":"object"}""").RootElement))],
            AdditionalProperties = more.Extra.Length == 0 ? null : new AdditionalPropertiesDictionary(more.Extra.ToDictionary(k => k, k => (object?)("v-" + k))),
            Instructions = spec.Instructions,
            Temperature = spec.Temperature is { } t ? t / 10f : null,
            TopP = spec.TopP is { } p ? p / 100f : null,
            MaxOutputTokens = spec.MaxOutput,
            Seed = spec.Seed,
            StopSequences = spec.Stops.Length == 0 ? null : [.. spec.Stops],
        };
        var writer = CanonicalRequest.Rent();
        try
        {
            writer.WriteExact(new GovernanceScope { Tenant = spec.Tenant }, spec.Model, messages, options);
            return writer.Hash();
        }
        finally
        {
            CanonicalRequest.Return(writer);
        }
    }

    private static Spec Change(Spec s, int field, int at)
    {
        var i = at % s.Messages.Length;
        return field switch
        {
            0 => s with { Tenant = s.Tenant + "x" },
            1 => s with { Model = s.Model + "-2" },
            2 => s with { Messages = [.. s.Messages.Select((m, j) => j == i ? (m.Role, m.Text + "!") : m)] },
            3 => s with { Messages = [.. s.Messages.Select((m, j) => j == i ? ((m.Role + 1) % s_roles.Length, m.Text) : m)] },
            4 => s with { Messages = [.. s.Messages, (0, "and?")] },
            5 => s with { Instructions = s.Instructions is null ? "Be brief." : s.Instructions + "." },
            6 => s with { Temperature = (s.Temperature ?? -1) + 1 },
            7 => s with { TopP = (s.TopP ?? -1) + 1 },
            8 => s with { MaxOutput = (s.MaxOutput ?? 0) + 1 },
            9 => s with { Seed = (s.Seed ?? -1) + 1 },
            10 => s with { Stops = [.. s.Stops, "STOP"] },
            12 => s with { More = s.More with { TopK = (s.More.TopK ?? -1) + 1 } },
            13 => s with { More = s.More with { Frequency = (s.More.Frequency ?? -1) + 1 } },
            14 => s with { More = s.More with { Presence = (s.More.Presence ?? -1) + 1 } },
            15 => s with { More = s.More with { Reasoning = ((s.More.Reasoning + 2) % 4) - 1 } },
            16 => s with { More = s.More with { Format = ((s.More.Format + 2) % 4) - 1 } },
            17 => s with { More = s.More with { Tools = [.. s.More.Tools, "tool" + s.More.Tools.Length] } },
            18 => s with { More = s.More with { Extra = [.. s.More.Extra, "key" + s.More.Extra.Length] } },
            19 => s with { More = s.More with { Author = s.More.Author + "x" } },
            20 => s with { More = s.More with { Content = s.More.Content < 0 ? 0 : s.More.Content, Payload = s.More.Payload + "!" } },
            _ => s.Messages.Length > 1 ? s with { Messages = s.Messages[..^1] } : s with { Messages = [.. s.Messages, (1, "ok")] },
        };
    }

    [Fact]
    public void WriteExact_EqualRequests_GiveEqualKeys()
    {
        s_spec.Sample(spec => Assert.Equal(Key(spec), Key(spec)), iter: 500, threads: 1);
    }

    [Fact]
    public void WriteExact_AnyKeyedFieldChanged_GivesAnotherKey()
    {
        Gen.Select(s_spec, Gen.Int[0, Fields - 1], Gen.Int[0, 100]).Sample((spec, field, at) =>
        {
            var changed = Change(spec, field, at);
            Assert.True(Key(spec) != Key(changed), $"changing field {field} left the key unchanged: {spec} -> {changed}");
        }, iter: 1_000, threads: 1);
    }
}
