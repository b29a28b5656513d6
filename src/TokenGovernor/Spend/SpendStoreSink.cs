using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// An <see cref="ICostSink"/> that writes every record to an <see cref="ISpendStore"/> in batches, on a background task: a call only
/// enqueues its record (no I/O, no lock wait on the store). Dispose it (the DI container does) to write what is still queued.
/// </summary>
/// <remarks>
/// <para>What a crash can lose: the records still queued and the batch being written, that is what arrived since the last commit
/// (at most <see cref="SpendStoreSinkOptions.BatchSize"/> in the batch plus what queued behind it). A clean shutdown loses nothing.</para>
/// <para>A batch that fails to write is retried (<see cref="SpendStoreSinkOptions.MaxRetries"/>, with a doubling delay) and then dropped
/// and logged; records that find the queue full are dropped and counted. Neither ever fails or slows the call.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class SpendStoreSink : ICostSink, IAsyncDisposable, IDisposable
{
    private readonly ISpendStore _store;
    private readonly SpendStoreSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<QueueItem> _queue;
    private readonly Task _writer;
    private long _written;
    private long _dropped;
    private long _batches;
    private int _disposed;

    /// <summary>Initializes a new sink and starts its writer.</summary>
    /// <param name="store">The store to write to.</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock for retry delays; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Logs failed and dropped writes.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public SpendStoreSink(ISpendStore store, SpendStoreSinkOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = (options ?? new SpendStoreSinkOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new SpendStoreSinkOptionsValidator(), _options);
        if (_options.RetryDelay < TimeSpan.Zero || _options.RetryDelay > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.RetryDelay, "SpendStoreSinkOptions.RetryDelay must be between 0 and 10 minutes.");
        }

        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<QueueItem>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of waiting: the record is counted as dropped
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Gets how many records were committed to the store.</summary>
    public long WrittenRecords => Interlocked.Read(ref _written);

    /// <summary>Gets how many records were dropped (queue full, or a batch that failed every retry).</summary>
    public long DroppedRecords => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many batches were committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Gets how many records wait to be written.</summary>
    public int QueuedRecords => _queue.Reader.Count;

    /// <inheritdoc />
    public void Record(GovernanceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_queue.Writer.TryWrite(new QueueItem(record, null)))
        {
            var dropped = Interlocked.Increment(ref _dropped);
            if ((dropped & (dropped - 1)) == 0)
            {
                SpendLog.QueueFull(_logger, _options.QueueCapacity, dropped); // 1st, 2nd, 4th, 8th, … drop: visible, never a flood
            }
        }
    }

    /// <summary>Writes everything queued so far and returns when it is committed (or dropped after its retries).</summary>
    /// <param name="cancellationToken">Stops waiting (the records are still written).</param>
    /// <returns>A task that completes when what was queued before the call has been handled.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new QueueItem(null, marker)))
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting records, writes what is queued and waits for it to be committed.</summary>
    /// <returns>A task that completes when the queue is empty.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Writer.TryComplete();
        }

        await _writer.ConfigureAwait(false);
    }

    /// <summary>Stops accepting records, writes what is queued and blocks until it is committed.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<GovernanceRecord>(_options.BatchSize);
        var markers = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.BatchSize && reader.TryRead(out var item))
            {
                if (item.Flushed is { } flushed)
                {
                    markers.Add(flushed);
                    break; // everything queued before the marker is in this batch
                }

                batch.Add(item.Record!);
            }

            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }

            foreach (var marker in markers)
            {
                marker.TrySetResult();
            }

            markers.Clear();
        }
    }

    private async Task WriteBatchAsync(List<GovernanceRecord> batch)
    {
        var delay = _options.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _store.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                Interlocked.Increment(ref _batches);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (attempt >= _options.MaxRetries)
                {
                    Interlocked.Add(ref _dropped, batch.Count);
                    SpendLog.BatchDropped(_logger, ex, batch.Count, attempt + 1);
                    return;
                }

                SpendLog.BatchFailed(_logger, ex, batch.Count, attempt + 1);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time).ConfigureAwait(false);
                }

                delay += delay;
            }
        }
    }

    /// <summary>A record, or a flush request that travels through the queue in order with the records.</summary>
    private readonly record struct QueueItem(GovernanceRecord? Record, TaskCompletionSource? Flushed);
}
