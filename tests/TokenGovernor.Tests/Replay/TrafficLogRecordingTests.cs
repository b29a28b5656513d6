using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Replay;

public class TrafficLogRecordingTests
{
    private static string Line(int i) => TrafficLog.Serialize(new TrafficLogEntry
    {
        Time = new DateTimeOffset(2026, 11, 23, 10, 0, i, TimeSpan.Zero),
        Scope = new GovernanceScope { Tenant = "acme" },
        ModelId = "gpt-4o",
        InputTokens = 100,
        Usage = new TokenUsage(100, 20, 0, 0, 0),
    });

    [Fact]
    public void Read_TruncatedLastLine_SkipsItWithAWarning()
    {
        var last = Line(3);
        var text = Line(1) + "\n" + Line(2) + "\n" + last[..(last.Length / 2)];
        var warnings = new List<string>();

        var entries = TrafficLog.Read(new StringReader(text), warnings.Add).ToList();

        Assert.Equal(2, entries.Count);
        Assert.Contains("line 3", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BrokenLineBeforeTheLast_StillFailsNamingIt()
    {
        var text = Line(1) + "\n{\"time\": \n" + Line(3) + "\n";

        var ex = Assert.Throws<FormatException>(() => TrafficLog.Read(new StringReader(text), _ => { }).ToList());

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseTrafficRecording_Path_EveryCallOnDiskWhenItReturnsAndFileClosedOnDispose()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-traffic-{Guid.NewGuid():N}.jsonl");
        try
        {
            var services = new ServiceCollection();
            services.AddChatClient(TestChatClient.Answering("hi", "gpt-4o-mini", new UsageDetails { InputTokenCount = 5, OutputTokenCount = 2 }))
                .UseTrafficRecording(path);
            var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<IChatClient>();
            for (var i = 0; i < 300; i++)
            {
                await client.GetResponseAsync("hello " + i, new ChatOptions { ModelId = "gpt-4o-mini" });
            }

            // Before disposal, as a reader beside a running app sees it (README's old File.AppendText snippet: 293 of 300, the last cut off).
            string[] whileOpen;
            using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
            {
                whileOpen = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }

            await provider.DisposeAsync();

            Assert.Equal(300, whileOpen.Length);
            Assert.Equal(300, TrafficLog.Read(new StringReader(string.Join('\n', whileOpen)), w => Assert.Fail(w)).Count());
            using var exclusive = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // the recorder closed it
        }
        finally
        {
            File.Delete(path);
        }
    }
}
