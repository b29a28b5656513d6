using Microsoft.Extensions.AI;
using TokenGovernor.Embeddings.MiniLM;

namespace TokenGovernor.Cli;

/// <summary>The embedders <c>route train</c>, <c>route eval</c> and <c>classify --router</c> accept by name.</summary>
internal static class RouterEmbedders
{
    public const string Names = "minilm, hashing, none";

    /// <summary>The embedder for <paramref name="name"/>, or <see langword="null"/> for <c>none</c>.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>>? Create(string? name) => (name ?? "none") switch
    {
        "none" => null,
        "hashing" => new HashingEmbeddingGenerator(),
        "minilm" => new MiniLMEmbeddingGenerator(),
        _ => throw new CliUsageException($"--embedder '{name}' is not known; use one of: {Names}"),
    };

    /// <summary>The embedder a router file needs (by the name it recorded), or <see langword="null"/> when it needs none.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>>? ForRouterFile(string? recorded, string? asked)
    {
        if (asked is not null)
        {
            return Create(asked);
        }

        return recorded switch
        {
            null => null,
            "hashing-ngram-v1" => new HashingEmbeddingGenerator(),
            MiniLMEmbeddingGenerator.ModelId => new MiniLMEmbeddingGenerator(),
            _ => throw new CliUsageException($"the router was trained with the embedder '{recorded}'; name it with --embedder ({Names})"),
        };
    }
}
