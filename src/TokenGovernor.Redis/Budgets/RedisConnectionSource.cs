using System.Net;
using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// The ledger's Redis connection: either one the app already opened, or one this source opens asynchronously the moment it is
/// created (at start-up), with a bounded connect timeout. Nothing waits for it synchronously: operations wait for it within their
/// own <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, and the connection keeps retrying in the background if Redis is down.
/// </summary>
internal sealed class RedisConnectionSource : IDisposable
{
    private readonly Task<IConnectionMultiplexer> _connect;
    private readonly bool _owns;

    private RedisConnectionSource(Task<IConnectionMultiplexer> connect, string endpoint, bool owns)
    {
        _connect = connect;
        Endpoint = endpoint;
        _owns = owns;
    }

    /// <summary>Gets the endpoint(s), as written in refusals and health reports (<c>host:port</c>).</summary>
    public string Endpoint { get; }

    /// <summary>Gets the connection once it is open, or <see langword="null"/> while it is still opening (or failed to).</summary>
    public IConnectionMultiplexer? Current => _connect.IsCompletedSuccessfully ? _connect.Result : null;

    /// <summary>A source over a connection the app owns (never disposed here).</summary>
    public static RedisConnectionSource Existing(IConnectionMultiplexer connection) =>
        new(Task.FromResult(connection), Describe(connection.GetEndPoints()), owns: false);

    /// <summary>Starts opening a connection now; the source owns it. <c>AbortOnConnectFail</c> is turned off, so an unreachable
    /// Redis completes the attempt after <c>ConnectTimeout</c> with a connection that keeps retrying, instead of failing for good.</summary>
    public static RedisConnectionSource Open(ConfigurationOptions configuration)
    {
        configuration.AbortOnConnectFail = false;
        var endpoint = Describe([.. configuration.EndPoints]);
        return new RedisConnectionSource(OpenAsync(configuration), endpoint, owns: true);
    }

    /// <summary>The connection, when it is open (the caller bounds the wait).</summary>
    public Task<IConnectionMultiplexer> ConnectAsync() => _connect;

    public void Dispose()
    {
        if (_owns)
        {
            _ = _connect.ContinueWith(static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Dispose();
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static async Task<IConnectionMultiplexer> OpenAsync(ConfigurationOptions configuration) =>
        await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);

    internal static string Describe(IEnumerable<EndPoint> endpoints)
    {
        var text = string.Join(",", endpoints.Select(e => e switch
        {
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => e.ToString() ?? "?",
        }));
        return text.Length == 0 ? "(no endpoint)" : text;
    }
}
