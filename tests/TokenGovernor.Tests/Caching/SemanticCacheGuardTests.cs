using System.Text.RegularExpressions;

namespace TokenGovernor.Tests.Caching;

public class SemanticCacheGuardTests
{
    [Fact]
    public void Words_RandomTexts_EqualWordRegexSplit()
    {
        // The guard's hand-written word scan must split exactly as the regular expression it replaced.
        var word = new Regex(@"[\p{L}\p{N}]+(?:['’][\p{L}]+)?", RegexOptions.CultureInvariant);
        const string Alphabet = "abcXYZéßİ019½²Ⅻ'’ -_.,?!\"\t\n😀日本";
        var random = new Random(7);
        string[] fixedTexts = ["don't", "it's2", "Twitter’s API", "'quoted'", "rock'n'roll", "x'", "'s", "12'ab'cd", "İstanbul's", ""];
        var texts = fixedTexts.Concat(Enumerable.Range(0, 2_000).Select(_ =>
            new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray())));
        foreach (var text in texts)
        {
            var expected = word.Matches(text.ToLowerInvariant()).Select(m => m.Value.Replace("'", "", StringComparison.Ordinal).Replace("’", "", StringComparison.Ordinal));
            Assert.Equal(expected, SemanticCacheGuard.Words(text));
        }
    }

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

    [Theory]
    [InlineData("What are good reasons to move to Europe?", "What are good reasons not to move to Europe?", "negation")]
    [InlineData("What are the advantages of external recruitment?", "What are the disadvantages of external recruitment?", "negation")]
    [InlineData("Is 300 KWD a month enough to live in Kuwait?", "Is 650 KWD a month enough to live in Kuwait?", "values")]
    [InlineData("The Note's Must-Reads for Monday", "The Note's Must-Reads for Tuesday", "values")]
    [InlineData("Which rehab center is near Baker County GA?", "Which rehab center is near Wheeler County GA?", "values")]
    [InlineData("Convert 'hello' to uppercase", "Convert 'world' to uppercase", "values")]
    [InlineData("Why is Israel a country?", "Is Israel a country?", "question")]
    [InlineData("Where can I read about the top hotels in Bhopal?", "How would I read about the top hotels in Bhopal?", "question")]
    public void Accepts_MeaningGuardDifferentMeaning_RejectsWithReason(string query, string cached, string expected)
    {
        Assert.False(SemanticCacheGuard.Meaning.Accepts(query, cached, out var reason));
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData("How do I stop my dog from chewing its fur?", "How do I prevent my dog from chewing its fur?")]
    [InlineData("Google invests $200 million in Texas wind farm", "Google invests 200 million USD in Texas wind farm project")]
    [InlineData("De Blasio sworn in as New York mayor", "Bill De Blasio sworn in as New York mayor")]
    [InlineData("How should Twitter's board respond?", "How should the board of Twitter respond?")]
    [InlineData("How long does shipping take?", "How long does express shipping take?")]
    public void Accepts_MeaningGuardSwapOrAddedDetail_LeavesItToTheScore(string query, string cached) =>
        Assert.True(SemanticCacheGuard.Meaning.Accepts(query, cached, out var reason), reason);

    [Theory]
    [InlineData("Jordan Opens First Tent Camp for Syrian Refugees", "Jordan Opens First Refugee Camp for Syrians")]
    [InlineData("Abbey trotted on stage with Conway at the Anaheim Convention Center.", "On Monday, Abbey trotted on stage with Conway.")]
    [InlineData("A Merrill Lynch spokesman said \"we are pleased with the decision.\"", "\"We are very pleased with the decision,\" Merrill said.")]
    public void Accepts_MeaningGuardValueSaidInOtherWords_Accepts(string query, string cached) =>
        Assert.True(SemanticCacheGuard.Meaning.Accepts(query, cached, out var reason), reason);

    [Theory]
    [InlineData("He said \"we won 3 games\" today.", "He said \"we won 5 games\" today.")]
    [InlineData("Reply \"approve the refund\" to the customer", "Reply \"deny the refund\" to the customer")]
    [InlineData("Flights from Spain to Rome for Syrians", "Flights from Spain to Berlin for Syrian families")]
    public void Accepts_MeaningGuardValueChangedInOtherWords_Rejects(string query, string cached)
    {
        Assert.False(SemanticCacheGuard.Meaning.Accepts(query, cached, out var reason));
        Assert.Equal("values", reason);
    }
}
