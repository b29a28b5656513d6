using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// Shares semantic-cache entries between instances through a Redis Stream: each stored entry is appended to the stream
/// (trimmed to <see cref="RedisSemanticCacheReplicatorOptions.MaxEntries"/>) and announced on a pub/sub channel; every
/// instance tails the stream into its own in-process SIMD index, so lookups never leave the process. A new instance first
/// reads the stored entries that have not expired.
/// </summary>
/// <remarks>
/// <para>Replication never fails or stalls a call: <see cref="PublishAsync"/> waits at most
/// <see cref="RedisSemanticCacheReplicatorOptions.OperationTimeout"/>, and when Redis times out, fails or is not connected it
/// skips the publish (the entry stays in this instance's index), counts it on <c>token_governor.cache.fallbacks</c>, and leaves
/// Redis alone for <see cref="RedisSemanticCacheReplicatorOptions.RetryInterval"/>; it throws only when the caller cancels. The
/// outage is logged once, and its end once. Tailing the stream runs in the background and resumes when Redis is back.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class RedisSemanticCacheReplicator : ISemanticCacheReplicator, IDisposable
{
    private const string Kind = "semantic";
    private static readonly JsonSerializerOptions s_json = AIJsonUtilities.DefaultOptions;
    private readonly RedisConnectionSource _connection;
    private readonly RedisCacheGate _gate;
    private readonly RedisSemanticCacheReplicatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisKey _stream;
    private readonly RedisChannel _channel;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly List<Action<SemanticCacheEntry>> _handlers = [];
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _received;

    /// <summary>Initializes a new replicator.</summary>
    /// <param name="redis">The connection (shared; not disposed here).</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock used for expiry, timeouts and back-off.</param>
    /// <param name="logger">Logs outages and read failures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public RedisSemanticCacheReplicator(IConnectionMultiplexer redis, RedisSemanticCacheReplicatorOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(RedisConnectionSource.Existing(redis ?? throw new ArgumentNullException(nameof(redis))), gate: null, options, timeProvider, logger)
    {
    }

    // UseRedis: the connection may still be opening (never waited for here), and the gate is the one the exact cache shares.
    internal RedisSemanticCacheReplicator(RedisConnectionSource connection, RedisCacheGate? gate, RedisSemanticCacheReplicatorOptions? options,
        TimeProvider? timeProvider, ILogger? logger)
    {
        _options = (options ?? new RedisSemanticCacheReplicatorOptions()).Clone();
        RedisOptionsValidation.Validate(_options);
        _connection = connection;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _gate = gate ?? new RedisCacheGate(connection, _options.OperationTimeout, _options.RetryInterval, _time, _logger);
        _stream = "{" + _options.KeyPrefix + "}:semantic";
        _channel = RedisChannel.Literal("{" + _options.KeyPrefix + "}:semantic:new");
    }

    /// <summary>Gets how many entries from other instances this replicator has delivered.</summary>
    public long EntriesReceived => Interlocked.Read(ref _received);

    /// <inheritdoc />
    public async ValueTask PublishAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var fields = new NameValueEntry[]
        {
            new("o", _origin),
            new("x", entry.ExpiresAt.ToUnixTimeMilliseconds()),
            new("p", entry.Partition),
            new("t", entry.Text),
            new("v", MemoryMarshal.AsBytes(entry.Vector.Span).ToArray()),
            new("c", entry.Cost.ToString(CultureInfo.InvariantCulture)),
            new("r", JsonSerializer.SerializeToUtf8Bytes(entry.Response, s_json.GetTypeInfo(typeof(ChatResponse)))),
        };

        // Two commands, pipelined: one round trip, bounded by the timeout; not reached is a skipped write.
        await _gate.TryAsync(Kind, "publish", async (db, _) =>
        {
            var add = db.StreamAddAsync(_stream, fields, maxLength: _options.MaxEntries, useApproximateMaxLength: true);
            var notify = db.PublishAsync(_channel, _origin);
            await Task.WhenAll(add, notify).ConfigureAwait(false);
            return true;
        }, _options.Database, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action<SemanticCacheEntry> onEntry)
    {
        ArgumentNullException.ThrowIfNull(onEntry);
        lock (_handlers)
        {
            _handlers.Add(onEntry);
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }

        return new Subscription(this, onEntry);
    }

    /// <summary>Stops tailing the stream.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // the loop ends with the cancellation
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private void Signal()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // already signalled, or stopping
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        RedisValue last = "0-0";
        var subscribed = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var redis = await _connection.ConnectAsync().WaitAsync(stop).ConfigureAwait(false);
                if (!redis.IsConnected)
                {
                    _gate.Usable(Kind, "read"); // counts it and logs the outage once; read again on the next poll
                }
                else
                {
                    if (!subscribed)
                    {
                        await redis.GetSubscriber().SubscribeAsync(_channel, (_, origin) =>
                        {
                            if (origin != _origin)
                            {
                                Signal();
                            }
                        }).ConfigureAwait(false);
                        subscribed = true;
                    }

                    var db = redis.GetDatabase(_options.Database);
                    while (true)
                    {
                        var entries = await db.StreamRangeAsync(_stream, last == "0-0" ? "-" : "(" + last, "+", count: 512).ConfigureAwait(false);
                        foreach (var e in entries)
                        {
                            last = e.Id;
                            Deliver(e);
                        }

                        if (entries.Length < 512)
                        {
                            break;
                        }
                    }

                    _gate.Succeeded();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidCastException)
            {
                RedisCacheLog.ReadFailed(_logger, ex); // a malformed entry, skipped (the read resumes after it)
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                _gate.Failed(Kind, "read", ex); // logged once per outage
            }

            try
            {
                await _signal.WaitAsync(_options.PollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Deliver(StreamEntry e)
    {
        if (e["o"] == _origin)
        {
            return;
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds((long)e["x"]);
        if (expires <= _time.GetUtcNow())
        {
            return;
        }

        var vectorBytes = (byte[])e["v"]!;
        var response = (ChatResponse?)JsonSerializer.Deserialize((byte[])e["r"]!, s_json.GetTypeInfo(typeof(ChatResponse)));
        if (response is null || vectorBytes.Length % sizeof(float) != 0)
        {
            return;
        }

        var entry = new SemanticCacheEntry
        {
            Partition = e["p"]!,
            Text = e["t"]!,
            Vector = MemoryMarshal.Cast<byte, float>(vectorBytes).ToArray(),
            Response = response,
            Cost = decimal.Parse((string)e["c"]!, NumberStyles.Number, CultureInfo.InvariantCulture),
            ExpiresAt = expires,
        };

        Action<SemanticCacheEntry>[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            handler(entry);
        }

        Interlocked.Increment(ref _received);
    }

    private sealed class Subscription(RedisSemanticCacheReplicator owner, Action<SemanticCacheEntry> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._handlers)
            {
                owner._handlers.Remove(handler);
            }
        }
    }
}
