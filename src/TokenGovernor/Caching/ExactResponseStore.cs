using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The exact cache's store: answers by the 128-bit hash of the canonical request, in an <see cref="IDistributedCache"/> shared
/// between instances or an in-process <see cref="IMemoryCache"/> (created and owned here when neither is given). A hit compares
/// the full canonical request, so colliding inputs never share an answer.
/// </summary>
internal sealed class ExactResponseStore : IDisposable
{
    private const string KeyPrefix = "tokengovernor:exact:";
    private readonly IDistributedCache? _distributed;
    private readonly IMemoryCache? _memory;
    private readonly MemoryCache? _ownedMemory;
    private readonly TimeSpan _timeToLive;
    private readonly long _ownedSizeLimit;
    private readonly ILogger _logger;

    public ExactResponseStore(IDistributedCache? distributedCache, IMemoryCache? memoryCache, ResponseCacheOptions options, ILogger logger)
    {
        _distributed = distributedCache;
        _memory = distributedCache is null ? memoryCache : null;
        if (_distributed is null && _memory is null)
        {
            _ownedMemory = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.ExactCacheSizeLimitBytes, CompactionPercentage = 0.1 });
            _memory = _ownedMemory;
            _ownedSizeLimit = options.ExactCacheSizeLimitBytes;
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
            if (_memory is not null)
            {
                // In-process store: compare the full canonical request in place; copy it only when it must be stored.
                if (_memory.TryGetValue(cacheKey, out var value) && value is Entry entry && entry.Key.AsSpan().SequenceEqual(writer.Written))
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
        if (_memory is not null)
        {
            var size = key.Length + (2L * copy.Text.Length) + 256;
            if (_ownedMemory is not null && size > _ownedSizeLimit)
            {
                return; // larger than the whole cache: never stored, and no reason to empty the cache trying
            }

            var entry = new Entry(key, copy, cost);
            var entryOptions = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _timeToLive, Size = size };
            _memory.Set(cacheKey, entry, entryOptions);
            // MemoryCache rejects an entry that would pass its SizeLimit and compacts later, on the thread pool: until then a full
            // cache loses every new answer. Compact now (the least recently used tenth, then a fifth, …: compaction counts
            // entries, not bytes, so one round may free less than this answer needs) and store again, so a full cache replaces
            // old answers instead of dropping new ones.
            for (var share = 0.1; _ownedMemory is not null && share < 1.6 && !_ownedMemory.TryGetValue(cacheKey, out _); share *= 2)
            {
                _ownedMemory.Compact(share);
                _memory.Set(cacheKey, entry, entryOptions);
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

    public void Dispose() => _ownedMemory?.Dispose();

    /// <summary>What a lookup found: the key (hash) and canonical request to store under, and the stored answer, if any.</summary>
    internal readonly record struct Probe(string CacheKey, byte[]? Key, (ChatResponse Response, decimal Cost)? Found);

    private sealed record Entry(byte[] Key, ChatResponse Response, decimal Cost);
}
