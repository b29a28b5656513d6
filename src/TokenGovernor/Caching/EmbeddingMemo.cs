using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>A bounded, thread-safe memo of embeddings by exact text (two generations, like the token-count memo).</summary>
internal sealed class EmbeddingMemo(int capacity)
{
    private readonly int _generation = Math.Max(1, capacity / 2);
    private readonly object _swap = new();
    private ConcurrentDictionary<string, float[]> _young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, float[]> _old = new(StringComparer.Ordinal);

    public bool Enabled => capacity > 0;

    public bool TryGet(string text, out float[] vector)
    {
        if (Volatile.Read(ref _young).TryGetValue(text, out vector!))
        {
            return true;
        }

        if (Volatile.Read(ref _old).TryGetValue(text, out vector!))
        {
            Add(text, vector);
            return true;
        }

        return false;
    }

    public void Add(string text, float[] vector)
    {
        if (!Enabled)
        {
            return;
        }

        var young = Volatile.Read(ref _young);
        if (young.Count >= _generation)
        {
            lock (_swap)
            {
                if (ReferenceEquals(young, _young))
                {
                    Volatile.Write(ref _old, young);
                    Volatile.Write(ref _young, new ConcurrentDictionary<string, float[]>(StringComparer.Ordinal));
                }

                young = _young;
            }
        }

        young[text] = vector;
    }
}
