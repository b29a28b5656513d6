using CsCheck;

namespace TokenGovernor.Tests.Pricing;

/// <summary>The catalog remembers its last lookups exactly as spelled; a remembered answer is always the answer a fresh lookup gives.</summary>
public class PriceCatalogLookupTests
{
    // Known ids, provider and dated spellings, case variants, unknown ids and blanks: many share a remembered slot.
    private static readonly string[] s_ids =
    [
        "gpt-4o", "GPT-4o", "openai/gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4.1", "gpt-4.1-mini",
        "gpt-4.1-nano", "o3", "o3-mini", "claude-sonnet-4", "claude-sonnet-4-20250514", "anthropic/claude-sonnet-4", "claude-3-5-haiku-20241022",
        "gemini-2.5-pro", "gemini-2.5-flash", "no-such-model", "NO-SUCH-MODEL", "gpt-5-unknown-x", "", " ", "a", "b", "ab", "ba",
    ];

    [Fact]
    public void TryGetPrice_AnySequenceOfSpellings_AgreesWithFirstLookupOnFreshCatalog()
    {
        var expected = s_ids.ToDictionary(id => id, id =>
        {
            var fresh = new PriceCatalogBuilder().AddBuiltIn().Build();
            return fresh.TryGetPrice(id, out var price) ? price.ModelId : null;
        }, StringComparer.Ordinal);
        var catalog = new PriceCatalogBuilder().AddBuiltIn().Build();

        Gen.Int[0, s_ids.Length - 1].Array[1, 60].Sample(picks =>
        {
            foreach (var i in picks)
            {
                // A new string each time as well as the same instance: the memo must not depend on reference identity.
                var id = i % 2 == 0 ? s_ids[i] : new string(s_ids[i].AsSpan());
                var found = catalog.TryGetPrice(id, out var price);
                Assert.Equal(expected[s_ids[i]], found ? price!.ModelId : null);
            }
        }, iter: 300);
    }

    [Fact]
    public async Task TryGetPrice_ManyCallersAlternatingSpellings_EachGetsItsOwnModelsPrice()
    {
        var catalog = new PriceCatalogBuilder().AddBuiltIn().Build();
        string[] ids = ["gpt-4o", "gpt-4o-mini", "o3", "claude-sonnet-4", "gpt-4.1-nano", "no-such-model"];
        var expected = ids.Select(id => catalog.TryGetPrice(id, out var p) ? p.ModelId : null).ToArray();

        await Parallel.ForAsync(0, 64, (caller, _) =>
        {
            for (var n = 0; n < 2_000; n++)
            {
                var i = (caller + n) % ids.Length;
                var found = catalog.TryGetPrice(ids[i], out var price);
                Assert.Equal(expected[i], found ? price!.ModelId : null);
            }

            return ValueTask.CompletedTask;
        });
    }
}
