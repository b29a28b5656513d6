using CsCheck;

namespace TokenGovernor.Tests.Properties;

/// <summary>Properties of the exact-cache key (<see cref="CanonicalRequest"/>): equal requests give equal keys, and a change
/// in any keyed field (tenant, model, a message's role or text, the message count, instructions, temperature, top-p, output cap,
/// seed, stop sequences) gives another key.</summary>
public class CanonicalRequestPropertyTests
{
    private const int Fields = 12;

    private static readonly ChatRole[] s_roles = [ChatRole.User, ChatRole.Assistant, ChatRole.System];

    private sealed record Spec(string? Tenant, string Model, (int Role, string Text)[] Messages, string? Instructions, int? Temperature,
        int? TopP, int? MaxOutput, long? Seed, string[] Stops);

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
        .SelectMany(spec => s_text.Array[0, 2].Select(stops => spec with { Stops = stops }));

    private static UInt128 Key(Spec spec)
    {
        // Built afresh each time: equal keys must come from equal content, not shared instances.
        var messages = spec.Messages.Select(m => new ChatMessage(s_roles[m.Role], m.Text)).ToList();
        var options = new ChatOptions
        {
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
