namespace TokenGovernor.Tests.Caching;

public class SemanticCacheGuardTests
{
    [Theory]
    [InlineData("How do I learn French?", "How do I learn German?")]
    [InlineData("How do I cancel my order?", "How do I cancel my subscription?")]
    [InlineData("Is the museum open on Monday?", "Is the museum not open on Monday?")]
    [InlineData("Can I return shoes?", "Can't I return shoes?")]
    [InlineData("What is 15% of 200?", "What is 15% of 300?")]
    [InlineData("Book a table for 2 people at 7pm", "Book a table for 4 people at 7pm")]
    [InlineData("What's the weather in Paris today?", "What's the weather in London today?")]
    [InlineData("Convert 'hello' to uppercase", "Convert 'world' to uppercase")]
    [InlineData("How long does shipping take?", "How long does express shipping take?")]
    [InlineData("Show me flights from Berlin to Rome", "Show me flights from Rome to Berlin")]
    public void Accepts_DifferentMeaning_Rejects(string query, string cached) =>
        Assert.False(SemanticCacheGuard.Default.Accepts(query, cached, out _));

    [Theory]
    [InlineData("What is the capital of France?", "what's the capital of france")]
    [InlineData("How can I reset my password?", "How do I reset my password?")]
    [InlineData("Hugging Face Hub is a platform to host Git-based models, datasets, and Spaces.", "Hugging Face Hub serves as a repository for Git-based models, datasets, and Spaces.")]
    [InlineData("how do I configure logging", "how do I configure the logging")]
    public void Accepts_Paraphrase_Accepts(string query, string cached) =>
        Assert.True(SemanticCacheGuard.Default.Accepts(query, cached, out var reason), reason);

    [Fact]
    public void Accepts_Rejection_NamesReason()
    {
        SemanticCacheGuard.Default.Accepts("Is it open?", "Is it not open?", out var reason);
        Assert.Equal("negation", reason);
    }
}
