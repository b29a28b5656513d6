using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>Deterministic benchmark inputs that look like real agent traffic.</summary>
internal static class Conversations
{
    private static readonly string[] s_userTurns =
    [
        "The build fails with error CS8604 in Parser.cs line 42: possible null reference argument for parameter 's'. What is the smallest safe fix?",
        "Can you also explain why the analyzer did not flag this before we enabled nullable reference types in Directory.Build.props?",
        "Here is the stack trace from production: System.NullReferenceException at Parser.ParseHeader(String line) at Importer.Run(). What changed?",
        "Write a unit test that reproduces the bug with an empty header line and asserts that a FormatException names the line number.",
        "Refactor ParseHeader so it returns a Result<Header> instead of throwing, and keep the public API source-compatible.",
    ];

    private static readonly string[] s_assistantTurns =
    [
        "The argument comes from `reader.ReadLine()`, which returns `string?`. Guard it: `var line = reader.ReadLine() ?? throw new FormatException($\"Unexpected end of file at line {lineNumber}.\");` and pass `line` on. This keeps behaviour the same for valid files and gives a clear error for truncated ones.",
        "Before nullable annotations were on, `ReadLine()` was treated as oblivious, so flow analysis had nothing to report. Turning on `<Nullable>enable</Nullable>` made the annotations visible, and `TreatWarningsAsErrors` promoted the new CS8604 warning to an error.",
        "```csharp\n[Fact]\npublic void ParseHeader_EmptyLine_ThrowsNamingLine()\n{\n    var ex = Assert.Throws<FormatException>(() => Parser.ParseHeader(\"\", lineNumber: 7));\n    Assert.Contains(\"line 7\", ex.Message);\n}\n```\nThis fails today with a NullReferenceException and passes after the guard is added.",
        "Add `public static Result<Header> TryParseHeader(string? line, int lineNumber)` and make `ParseHeader` call it and throw on failure. Existing callers keep compiling; new callers can avoid exceptions on the hot path.",
    ];

    /// <summary>A system prompt plus <paramref name="count"/> - 1 alternating user/assistant turns.</summary>
    public static List<ChatMessage> Create(int count)
    {
        var list = new List<ChatMessage> { new(ChatRole.System, "You are a senior .NET engineer. Answer precisely, with code where it helps, and state assumptions.") };
        for (var i = 1; i < count; i++)
        {
            list.Add(i % 2 == 1
                ? new ChatMessage(ChatRole.User, $"[{i}] " + s_userTurns[i / 2 % s_userTurns.Length])
                : new ChatMessage(ChatRole.Assistant, $"[{i}] " + s_assistantTurns[i / 2 % s_assistantTurns.Length]));
        }

        return list;
    }

    /// <summary>A single user prompt of about <paramref name="tokens"/> o200k tokens.</summary>
    public static List<ChatMessage> Prompt(int tokens)
    {
        var text = new System.Text.StringBuilder();
        var i = 0;
        while (TiktokenTokenEstimator.Default.CountTokens(text.ToString(), "gpt-4o") < tokens)
        {
            text.Append(s_userTurns[i++ % s_userTurns.Length]).Append(' ');
        }

        return [new ChatMessage(ChatRole.System, "Answer briefly."), new ChatMessage(ChatRole.User, text.ToString())];
    }
}
