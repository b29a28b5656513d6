using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>
/// The Redis the tests share: the one named by <c>TOKENGOVERNOR_REDIS</c> (host:port; <c>.ci/run</c> starts it), or else a
/// redis-server this fixture starts. Without either the Redis tests are skipped with the reason — unless
/// <c>TOKENGOVERNOR_REQUIRE_REDIS=1</c> (set by CI), which turns the skip into a failure.
/// </summary>
public sealed class RedisFixture : IDisposable
{
    private static readonly Lazy<RedisFixture?> s_shared = new(Create);
    private readonly RedisServer? _owned;
    private int _next;

    private RedisFixture(string endpoint, RedisServer? owned)
    {
        Endpoint = endpoint;
        _owned = owned;
        Connection = ConnectionMultiplexer.Connect(endpoint);
    }

    public string Endpoint { get; }

    public IConnectionMultiplexer Connection { get; }

    /// <summary>Gets why the Redis tests cannot run here, or null when they can.</summary>
    public static string? SkipReason
    {
        get
        {
            if (Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") == "1" ||
                Environment.GetEnvironmentVariable("TOKENGOVERNOR_REDIS") is { Length: > 0 } || RedisServer.Binary is not null)
            {
                return null;
            }

            return "Redis tests skipped: no redis-server on PATH and TOKENGOVERNOR_REDIS is not set. Install redis-server (apt-get install -y redis-server) to run them.";
        }
    }

    /// <summary>Gets the shared fixture, skipping the calling test when Redis cannot be had.</summary>
    public static RedisFixture Shared
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return s_shared.Value ?? throw new InvalidOperationException("Redis could not be started or reached; see TOKENGOVERNOR_REDIS.");
        }
    }

    /// <summary>A key prefix no other test uses.</summary>
    public string NewPrefix(string name) => $"t{Environment.ProcessId}-{Interlocked.Increment(ref _next)}-{name}";

    public void Dispose()
    {
        Connection.Dispose();
        _owned?.Dispose();
    }

    private static RedisFixture? Create()
    {
        if (Environment.GetEnvironmentVariable("TOKENGOVERNOR_REDIS") is { Length: > 0 } endpoint)
        {
            return new RedisFixture(endpoint, null);
        }

        var server = RedisServer.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return new RedisFixture(server.Endpoint, server);
    }
}
