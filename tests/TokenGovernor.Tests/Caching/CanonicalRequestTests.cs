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
}
