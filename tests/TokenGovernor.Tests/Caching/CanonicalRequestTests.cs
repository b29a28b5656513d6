using System.Globalization;

namespace TokenGovernor.Tests.Caching;

public class CanonicalRequestTests
{
    [Theory]
    [InlineData("tokengovernor:exact:")]
    [InlineData("")]
    public void HashKey_AnyRequest_EqualsPrefixAndHashAsX32(string prefix)
    {
        var random = new Random(5);
        for (var i = 0; i < 500; i++)
        {
            var writer = CanonicalRequest.Rent();
            try
            {
                var messages = new List<ChatMessage> { new(ChatRole.System, "sys " + random.Next()), new(ChatRole.User, new string('q', random.Next(0, 40)) + random.Next()) };
                writer.WriteExact(GovernanceScope.Empty with { Tenant = "t" + (i % 3) }, i % 2 == 0 ? "gpt-4o" : null, messages, new ChatOptions { Temperature = i % 5 });

                Assert.Equal(prefix + string.Create(CultureInfo.InvariantCulture, $"{writer.Hash():x32}"), writer.HashKey(prefix));
            }
            finally
            {
                CanonicalRequest.Return(writer);
            }
        }
    }

    /// <summary>Options' floats are written from a small cache of formatted bytes: the JSON must hold exactly what
    /// <see cref="System.Text.Json.Utf8JsonWriter.WriteNumber(string, float)"/> writes, for new values, repeated values and
    /// more distinct values than the cache holds.</summary>
    [Fact]
    public void WriteExact_FloatOptions_WriteWhatUtf8JsonWriterWrites()
    {
        float[] values = [0.2f, 0.7f, 1f, 0f, -0f, 1e-7f, 0.1f + 0.2f, 123456.78f, float.MaxValue, float.Epsilon, 0.2f, 0.95f, 2f / 3f, 0.7f];
        var messages = new List<ChatMessage> { new(ChatRole.User, "q") };
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var top = values[(i + 5) % values.Length];
                var writer = CanonicalRequest.Rent();
                try
                {
                    writer.WriteExact(GovernanceScope.Empty, "gpt-4o", messages, new ChatOptions { Temperature = values[i], TopP = top, PresencePenalty = values[i] });
                    var json = System.Text.Encoding.UTF8.GetString(writer.Written);
                    Assert.Contains(Reference("temperature", values[i]) + "," + Reference("topP", top), json, StringComparison.Ordinal);
                    Assert.Contains(Reference("presencePenalty", values[i]), json, StringComparison.Ordinal);
                }
                finally
                {
                    CanonicalRequest.Return(writer);
                }
            }
        }

        static string Reference(string name, float value)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber(name, value);
                w.WriteEndObject();
            }

            var text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            return text[1..^1];
        }
    }
}
