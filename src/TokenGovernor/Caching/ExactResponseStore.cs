using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The exact cache's store: answers by the 128-bit hash of the canonical request, in an <see cref="IDistributedCache"/> shared
/// between instances, the app's <see cref="IMemoryCache"/>, or, when neither is given, an <see cref="LruResponseCache{TValue}"/>
/// owned here. A hit compares the full canonical request, so colliding inputs never share an answer.
/// </summary>
internal sealed class ExactResponseStore
{
    private const string KeyPrefix = "tokengovernor:exact:";
    private readonly IDistributedCache? _distributed;
    private readonly IMemoryCache? _memory;
    private readonly LruResponseCache<Entry>? _owned;
    private readonly TimeSpan _timeToLive;
    private readonly ILogger _logger;

    public ExactResponseStore(IDistributedCache? distributedCache, IMemoryCache? memoryCache, ResponseCacheOptions options, TimeProvider time, ILogger logger)
    {
        _distributed = distributedCache;
        _memory = distributedCache is null ? memoryCache : null;
        if (_distributed is null && _memory is null)
        {
            _owned = new LruResponseCache<Entry>(options.ExactCacheSizeLimitBytes, options.ExactTimeToLive, time);
        }

        _timeToLive = options.ExactTimeToLive;
        _logger = logger;
    }

    /// <summary>Looks the request up; the probe carries the key to store under on a miss.</summary>
    public async ValueTask<Probe> FindAsync(GovernanceScope scope, string? model, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        (ChatResponse Response, decimal Cost)? found = null;
        string cacheKey;
        byte[]? key = null;
        var writer = CanonicalRequest.Rent();
        try
        {
            writer.WriteExact(scope, model, messages, options);
            cacheKey = writer.HashKey(KeyPrefix);
            if (_owned is not null || _memory is not null)
            {
                // In-process store: compare the full canonical request in place; copy it only when it must be stored.
                Entry? entry;
                if (_owned is not null)
                {
                    _owned.TryGet(cacheKey, out entry);
                }
                else
                {
                    entry = _memory!.TryGetValue(cacheKey, out var value) ? value as Entry : null;
                }

                // A hash collision (a different request under the same key) is a miss.
                if (entry is not null && entry.Key.AsSpan().SequenceEqual(writer.Written))
                {
                    found = (entry.Response, entry.Cost);
                }
                else
                {
                    key = writer.Written.ToArray();
                }
            }
            else
            {
                key = writer.Written.ToArray();
            }
        }
        finally
        {
            CanonicalRequest.Return(writer);
        }

        if (_distributed is not null)
        {
            try
            {
                var bytes = await _distributed.GetAsync(cacheKey, cancellationToken).ConfigureAwait(false);
                found = bytes is null ? null : CachedResponses.Deserialize(bytes, key);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A cache never fails a call: a distributed cache that cannot be read is a miss.
                CachingLog.LookupFailed(_logger, ex);
            }
        }

        return new Probe(cacheKey, key, found);
    }

    /// <summary>Stores <paramref name="copy"/> under the probe's key; a failing distributed store is logged, never thrown.</summary>
    public async ValueTask StoreAsync(string cacheKey, byte[] key, ChatResponse copy, decimal cost, CancellationToken cancellationToken)
    {
        if (_owned is not null || _memory is not null)
        {
            var size = key.Length + (2L * copy.Text.Length) + 256;
            var entry = new Entry(key, copy, cost);
            if (_owned is not null)
            {
                // Least recently used answers make room as this one is stored; one larger than the whole cache is not stored.
                _owned.Set(cacheKey, entry, size);
            }
            else
            {
                _memory!.Set(cacheKey, entry, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _timeToLive, Size = size });
            }

            return;
        }

        try
        {
            await _distributed!.SetAsync(cacheKey, CachedResponses.Serialize(key, cost, copy),
                new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = _timeToLive }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CachingLog.StoreFailed(_logger, ex);
        }
    }

    /// <summary>What a lookup found: the key (hash) and canonical request to store under, and the stored answer, if any.</summary>
    internal readonly record struct Probe(string CacheKey, byte[]? Key, (ChatResponse Response, decimal Cost)? Found);

    private sealed record Entry(byte[] Key, ChatResponse Response, decimal Cost);
}
