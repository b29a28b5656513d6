using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>Remembers every vector its inner embedder returned, by text, so an evaluation that trains many routers on the same
/// prompts embeds each prompt once; optionally kept in a file between runs (<c>route eval --embedding-cache F</c>). Not
/// thread-safe (the CLI calls it from one flow).</summary>
internal sealed class MemoEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly Dictionary<string, Embedding<float>> _memo = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _stored = new(StringComparer.Ordinal);

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IList<string> ?? [.. values];
        foreach (var t in texts)
        {
            if (!_memo.ContainsKey(t) && _stored.TryGetValue(Key(t), out var vector))
            {
                _memo[t] = new Embedding<float>(vector);
            }
        }

        var missing = texts.Where(t => !_memo.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var fresh = await base.GenerateAsync(missing, options, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < missing.Count; i++)
            {
                _memo[missing[i]] = fresh[i];
                _stored[Key(missing[i])] = fresh[i].Vector.ToArray();
            }
        }

        return [.. texts.Select(t => _memo[t])];
    }

    /// <summary>Reads vectors saved by <see cref="Save"/> for this embedder (a file for another embedder is ignored).</summary>
    public void Load(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Identity())
        {
            return;
        }

        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            var dims = reader.ReadInt32();
            var vector = new float[dims];
            for (var d = 0; d < dims; d++)
            {
                vector[d] = reader.ReadSingle();
            }

            _stored[key] = vector;
        }
    }

    /// <summary>Writes every vector seen so far.</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Identity());
        writer.Write(_stored.Count);
        foreach (var (key, vector) in _stored.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            writer.Write(key);
            writer.Write(vector.Length);
            foreach (var v in vector)
            {
                writer.Write(v);
            }
        }
    }

    private string Identity() => InnerGenerator.GetService<EmbeddingGeneratorMetadata>() is { } m
        ? $"{m.ProviderName}/{m.DefaultModelId}/{m.DefaultModelDimensions}"
        : InnerGenerator.GetType().FullName ?? "embedder";

    private static string Key(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
