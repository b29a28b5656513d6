using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>A bounded, thread-safe memo of embeddings by exact text (two generations, like the token-count memo).</summary>
/// <remarks>Each generation counts its own entries as they are added: <see cref="ConcurrentDictionary{TKey, TValue}.Count"/>
/// takes every lock of the table (microseconds for thousands of entries), too slow for the check made on every add.</remarks>
internal sealed class EmbeddingMemo(int capacity)
{
    private readonly int _generation = Math.Max(1, capacity / 2);
    private readonly object _swap = new();
    private Generation _young = new(Math.Max(1, capacity / 2));
    private Generation _old = new(1);

    public bool Enabled => capacity > 0;

    public bool TryGet(string text, out float[] vector)
    {
        if (Volatile.Read(ref _young).Entries.TryGetValue(text, out vector!))
        {
            return true;
        }

        if (Volatile.Read(ref _old).Entries.TryGetValue(text, out vector!))
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
        if (Volatile.Read(ref young.Added) >= _generation)
        {
            lock (_swap)
            {
                if (ReferenceEquals(young, _young))
                {
                    Volatile.Write(ref _old, young);
                    Volatile.Write(ref _young, new Generation(_generation));
                }

                young = _young;
            }
        }

        if (young.Entries.TryAdd(text, vector))
        {
            Interlocked.Increment(ref young.Added);
        }
        else
        {
            young.Entries[text] = vector;
        }
    }

    /// <summary>One generation, sized for its capacity from the start (up to 64k entries), so it is not rehashed as it fills.</summary>
    private sealed class Generation(int capacity)
    {
        public readonly ConcurrentDictionary<string, float[]> Entries = new(Environment.ProcessorCount, Math.Min(capacity, 65_536), StringComparer.Ordinal);

        public int Added;
    }
}
