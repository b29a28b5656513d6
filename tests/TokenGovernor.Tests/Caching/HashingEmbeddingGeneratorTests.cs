using System.Numerics.Tensors;

namespace TokenGovernor.Tests.Caching;

public class HashingEmbeddingGeneratorTests
{
    private static float[] Embed(string text)
    {
        var v = new float[384];
        new HashingEmbeddingGenerator().Embed(text, v);
        return v;
    }

    [Fact]
    public void Embed_SameText_IsDeterministicAndNormalised()
    {
        var a = Embed("How do I reset my password?");
        Assert.Equal(a, Embed("How do I reset my password?"));
        Assert.Equal(1f, TensorPrimitives.Norm(a), 1e-5f);
    }

    [Fact]
    public void Embed_Paraphrase_IsCloserThanUnrelated()
    {
        var q = Embed("How do I reset my password?");
        Assert.True(TensorPrimitives.Dot(q, Embed("how can I reset my password")) > TensorPrimitives.Dot(q, Embed("What are your opening hours on Sunday?")) + 0.3f);
    }

    [Fact]
    public async Task GenerateAsync_Batch_MatchesEmbed()
    {
        using var generator = new HashingEmbeddingGenerator();
        var result = await generator.GenerateAsync(["a b c", "hello world"]);

        Assert.Equal(2, result.Count);
        Assert.Equal(Embed("hello world"), result[1].Vector.ToArray());
    }

    [Fact]
    public void Embed_NoWords_IsZero() => Assert.All(Embed("?!  ..."), x => Assert.Equal(0f, x));
}
