using Microsoft.Extensions.Caching.Distributed;

namespace TokenGovernor.Redis;

/// <summary>
/// The exact response cache's store under <c>UseRedis</c>: a <c>RedisCache</c> behind a <see cref="RedisCacheGate"/>, so a
/// lookup that times out, fails, or finds Redis down returns a miss (<see langword="null"/>) and a store is skipped; neither
/// throws nor waits past the gate's timeout. Only the caller's own cancellation is thrown.
/// </summary>
/// <remarks>
/// Not disposable, so a container never disposes the inner cache (and, through it, the shared connection, which stays its
/// owner's to close). The synchronous members (TokenGovernor uses only the asynchronous ones) skip Redis when the gate does and
/// swallow failures, but wait as long as the connection's own <c>SyncTimeout</c>.
/// </remarks>
internal sealed class RedisExactCache(IDistributedCache inner, RedisCacheGate gate) : IDistributedCache
{
    private const string Kind = "exact";

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        (await gate.TryAsync(Kind, "lookup", (_, ct) => inner.GetAsync(key, ct), -1, token).ConfigureAwait(false)).Value;

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        RunAsync("store", ct => inner.SetAsync(key, value, options, ct), token);

    public Task RefreshAsync(string key, CancellationToken token = default) => RunAsync("refresh", ct => inner.RefreshAsync(key, ct), token);

    public Task RemoveAsync(string key, CancellationToken token = default) => RunAsync("remove", ct => inner.RemoveAsync(key, ct), token);

    public byte[]? Get(string key) => Run("lookup", () => inner.Get(key));

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Run("store", () =>
    {
        inner.Set(key, value, options);
        return (byte[]?)null;
    });

    public void Refresh(string key) => Run("refresh", () =>
    {
        inner.Refresh(key);
        return (byte[]?)null;
    });

    public void Remove(string key) => Run("remove", () =>
    {
        inner.Remove(key);
        return (byte[]?)null;
    });

    private async Task RunAsync(string operation, Func<CancellationToken, Task> run, CancellationToken token) =>
        await gate.TryAsync(Kind, operation, async (_, ct) =>
        {
            await run(ct).ConfigureAwait(false);
            return true;
        }, -1, token).ConfigureAwait(false);

    private byte[]? Run(string operation, Func<byte[]?> run)
    {
        if (gate.Usable(Kind, operation) is null)
        {
            return null;
        }

        try
        {
            var value = run();
            gate.Succeeded();
            return value;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            gate.Failed(Kind, operation, ex);
            return null;
        }
    }
}
