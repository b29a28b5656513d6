using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>Remembers every vector its inner embedder returned, by text, so an evaluation that trains many routers on the same
/// prompts embeds each prompt once. Not thread-safe (the CLI calls it from one flow).</summary>
internal sealed class MemoEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly Dictionary<string, Embedding<float>> _memo = new(StringComparer.Ordinal);

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IList<string> ?? [.. values];
        var missing = texts.Where(t => !_memo.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var fresh = await base.GenerateAsync(missing, options, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < missing.Count; i++)
            {
                _memo[missing[i]] = fresh[i];
            }
        }

        return [.. texts.Select(t => _memo[t])];
    }
}
