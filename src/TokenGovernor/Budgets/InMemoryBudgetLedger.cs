using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace TokenGovernor;

/// <summary>
/// The default <see cref="IBudgetLedger"/>: budgets kept in process memory, admitted atomically with fine-grained locks
/// (one per budget key, taken in a fixed order), allocation-free on the reserve/settle path, windows rolled over by the
/// <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>Charges land in the window in which they are settled; a reservation made in one window and settled in the next keeps
/// holding room until it settles. A request counts in the window in which it was admitted (see <see cref="BudgetPolicy.RequestLimit"/>). Sliding windows are kept in 60 sub-buckets, so their edge is precise to 1/60th of the window.</para>
/// <para>Budgets of one process only: with several app instances use the Redis ledger, or each instance may spend the whole limit.</para>
/// </remarks>
public sealed class InMemoryBudgetLedger : IBudgetLedger
{
    private const int SlotBits = 24;
    private const long SlotMask = (1L << SlotBits) - 1;
    private const int SlidingBuckets = 60;

    // Per thread: where its next slot search starts (the slot it released last). Shared by ledgers, so it is taken modulo the pool.
    [ThreadStatic]
    private static int t_slotHint;

    private readonly PolicyState[] _policies;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lease;
    private readonly Slot[] _slots;
    private readonly object _sweepLock = new();

    private int _nextCounterId;
    private long _nextSweepTicks;
    private long _expired;

    /// <summary>Initializes a new ledger.</summary>
    /// <param name="policies">The policies to enforce; each is validated.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">A policy is invalid, or two policies share a name.</exception>
    public InMemoryBudgetLedger(IEnumerable<BudgetPolicy> policies, BudgetLedgerOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        options ??= new BudgetLedgerOptions();
        OptionsValidation.ThrowIfInvalid(new BudgetLedgerOptionsValidator(), options);
        if (options.ReservationLease < TimeSpan.FromSeconds(1) || options.ReservationLease > TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ReservationLease,
                "BudgetLedgerOptions.ReservationLease must be between one second and seven days; make it longer than your slowest call.");
        }
        var list = policies.ToList();
        foreach (var policy in list)
        {
            ArgumentNullException.ThrowIfNull(policy, nameof(policies));
            policy.Validate();
        }

        var duplicate = list.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two budget policies are named '{duplicate.Key}'; policy names must be unique.", nameof(policies));
        }

        _time = timeProvider ?? TimeProvider.System;
        _lease = options.ReservationLease;
        _policies = list.Select(p => new PolicyState(p, this)).ToArray();
        Policies = list;
        _slots = new Slot[options.MaxOutstandingReservations];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }

    }

    /// <inheritdoc />
    public event EventHandler<BudgetThresholdCrossedEventArgs>? ThresholdCrossed;

    /// <inheritdoc />
    public IReadOnlyList<BudgetPolicy> Policies { get; }

    /// <summary>Gets how many reservations are outstanding (neither settled, released nor reclaimed).</summary>
    public int OutstandingReservations
    {
        get
        {
            var taken = 0;
            foreach (var slot in _slots)
            {
                taken += Volatile.Read(ref slot.Taken);
            }

            return taken;
        }
    }

    /// <summary>Gets how many reservations expired unsettled and were reclaimed.</summary>
    public long ExpiredReservations => Interlocked.Read(ref _expired);

    /// <inheritdoc />
    public ValueTask<BudgetReservationResult> ReserveAsync(GovernanceScope scope, decimal cost, long tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<BudgetReservationResult>(Reserve(scope, cost, tokens));
    }

    /// <inheritdoc />
    public ValueTask<decimal?> SettleAsync(BudgetReservation reservation, decimal actualCost, long actualTokens, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        ArgumentOutOfRangeException.ThrowIfNegative(actualTokens);
        return new ValueTask<decimal?>(Finish(reservation, actualCost, actualTokens, settle: true));
    }

    /// <inheritdoc />
    public ValueTask<bool> ReleaseAsync(BudgetReservation reservation, CancellationToken cancellationToken = default) =>
        new(Finish(reservation, 0, 0, settle: false) is not null);

    /// <inheritdoc />
    public double GetUtilization(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var now = _time.GetUtcNow();
        var max = 0.0;
        foreach (var policy in _policies)
        {
            var key = policy.Policy.KeyFor(scope);
            if (key is null || policy.Find(key) is not { } counter)
            {
                continue;
            }

            lock (counter)
            {
                counter.Roll(now);
                max = Math.Max(max, counter.Utilization(0, 0));
            }
        }

        return max;
    }

    /// <inheritdoc />
    public IReadOnlyList<BudgetUsage> GetUsage(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var now = _time.GetUtcNow();
        var list = new List<BudgetUsage>();
        foreach (var policy in _policies)
        {
            var key = policy.Policy.KeyFor(scope);
            if (key is null)
            {
                continue;
            }

            var counter = policy.GetOrCreate(key);
            lock (counter)
            {
                counter.Roll(now);
                list.Add(counter.Snapshot(now));
            }
        }

        return list;
    }

    private BudgetReservationResult Reserve(GovernanceScope scope, decimal cost, long tokens)
    {
        var now = _time.GetUtcNow();
        MaybeSweep(now);
        while (true)
        {
            if (TryReserve(scope, cost, tokens, now, out var result))
            {
                return result;
            }

            // A budget key was evicted as idle between lookup and lock: look it up again.
        }
    }

    private bool TryReserve(GovernanceScope scope, decimal cost, long tokens, DateTimeOffset now, out BudgetReservationResult result)
    {

        var buffer = default(CounterBuffer);
        Span<Counter> counters = buffer;
        var n = 0;
        foreach (var policy in _policies)
        {
            var key = policy.Policy.KeyFor(scope);
            if (key is null)
            {
                continue;
            }

            if (n == CounterBuffer.Length)
            {
                throw new InvalidOperationException($"A call matched more than {CounterBuffer.Length} budget policies; merge policies so at most {CounterBuffer.Length} apply to one call.");
            }

            counters[n++] = policy.GetOrCreate(key);
        }

        counters = counters[..n];
        SortById(counters);

        var utilization = 0.0;
        BudgetDenial? denial = null;
        for (var i = 0; i < counters.Length; i++)
        {
            Monitor.Enter(counters[i]);
        }

        try
        {
            for (var i = 0; i < counters.Length; i++)
            {
                if (counters[i].Evicted)
                {
                    result = default;
                    return false;
                }
            }

            for (var i = 0; i < counters.Length && denial is null; i++)
            {
                var c = counters[i];
                c.Roll(now);
                denial = c.Admit(cost, tokens, now, ref utilization);
            }

            if (denial is null)
            {
                if (!TryTakeSlot(out var slotIndex))
                {
                    throw new InvalidOperationException(
                        $"The budget ledger already has {_slots.Length} outstanding reservations; raise BudgetLedgerOptions.MaxOutstandingReservations or settle reservations.");
                }

                var slot = _slots[slotIndex];
                for (var i = 0; i < counters.Length; i++)
                {
                    counters[i].Reserved += cost;
                    counters[i].ReservedTokens += tokens;
                    slot.RequestMarks[i] = counters[i].CountRequest(now);
                    slot.Counters[i] = counters[i];
                }

                slot.Count = counters.Length;
                slot.Cost = cost;
                slot.Tokens = tokens;
                slot.ExpiresTicks = (now + _lease).UtcTicks;
                slot.Generation = (slot.Generation % 0x3FFFFFFF) + 1;
                var id = ((long)slot.Generation << SlotBits) | (uint)slotIndex;
                Volatile.Write(ref slot.Id, id);
                result = BudgetReservationResult.Granted(new BudgetReservation(id, cost, tokens), utilization);
                return true;
            }
        }
        finally
        {
            for (var i = counters.Length - 1; i >= 0; i--)
            {
                Monitor.Exit(counters[i]);
            }
        }

        result = BudgetReservationResult.Denied(denial!, utilization);
        return true;
    }

    private decimal? Finish(BudgetReservation reservation, decimal actualCost, long actualTokens, bool settle)
    {
        var index = reservation.Id & SlotMask;
        if (reservation.Id <= 0 || index >= _slots.Length)
        {
            return null;
        }

        var slot = _slots[index];
        if (Interlocked.CompareExchange(ref slot.Id, 0, reservation.Id) != reservation.Id)
        {
            return null; // already settled, released or reclaimed: never count twice
        }

        var now = _time.GetUtcNow();
        var crossed = default(CrossingBuffer);
        var crossings = 0;
        var counters = slot.Counters.AsSpan(0, slot.Count);
        for (var i = 0; i < counters.Length; i++)
        {
            Monitor.Enter(counters[i]);
        }

        try
        {
            for (var i = 0; i < counters.Length; i++)
            {
                var c = counters[i];
                c.Roll(now);
                c.Reserved -= slot.Cost;
                c.ReservedTokens -= slot.Tokens;
                if (!settle)
                {
                    c.ReturnRequest(slot.RequestMarks[i]);
                }

                if (settle)
                {
                    var fired = c.AddSpent(actualCost, actualTokens, now);
                    if (fired != 0 && crossings < CrossingBuffer.Length)
                    {
                        crossed[crossings++] = (c, fired);
                    }
                }
            }
        }
        finally
        {
            for (var i = counters.Length - 1; i >= 0; i--)
            {
                Monitor.Exit(counters[i]);
            }
        }

        var unused = slot.Cost - actualCost;
        counters.Clear();
        ReturnSlot((int)index);

        if (crossings > 0 && ThresholdCrossed is { } handler)
        {
            for (var i = 0; i < crossings; i++)
            {
                RaiseCrossings(handler, crossed[i].Counter, crossed[i].Fired, now);
            }
        }

        return settle ? unused : slot.Cost;
    }

    private void RaiseCrossings(EventHandler<BudgetThresholdCrossedEventArgs> handler, Counter counter, int fired, DateTimeOffset now)
    {
        BudgetUsage usage;
        lock (counter)
        {
            usage = counter.Snapshot(now);
        }

        var thresholds = counter.Owner.Policy.SoftThresholds;
        for (var t = 0; t < thresholds.Count && t < 31; t++)
        {
            if ((fired & (1 << t)) != 0)
            {
                handler(this, new BudgetThresholdCrossedEventArgs(usage, thresholds[t]));
            }
        }
    }

    /// <summary>
    /// Claims a free reservation slot without a shared lock: a compare-and-swap on the slot's own flag, starting at the slot
    /// this thread last released (warm in its cache, and where concurrent threads do not meet), then onwards round the pool.
    /// Only a full pool is scanned to the end.
    /// </summary>
    private bool TryTakeSlot(out int index)
    {
        var n = _slots.Length;
        var start = (int)((uint)t_slotHint % (uint)n);
        for (var i = 0; i < n; i++)
        {
            var candidate = start + i < n ? start + i : start + i - n;
            var slot = _slots[candidate];
            if (Volatile.Read(ref slot.Taken) == 0 && Interlocked.CompareExchange(ref slot.Taken, 1, 0) == 0)
            {
                t_slotHint = candidate + 1;
                index = candidate;
                return true;
            }
        }

        index = -1;
        return false;
    }

    private void ReturnSlot(int index)
    {
        Volatile.Write(ref _slots[index].Taken, 0);
        t_slotHint = index;
    }

    private void MaybeSweep(DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref _nextSweepTicks) || !Monitor.TryEnter(_sweepLock))
        {
            return;
        }

        try
        {
            var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, _lease.Ticks / 4));
            Volatile.Write(ref _nextSweepTicks, (now + interval).UtcTicks);
            for (var i = 0; i < _slots.Length; i++)
            {
                var slot = _slots[i];
                var id = Volatile.Read(ref slot.Id);
                if (id != 0 && slot.ExpiresTicks <= now.UtcTicks &&
                    Finish(new BudgetReservation(id, 0, 0), 0, 0, settle: false) is not null)
                {
                    Interlocked.Increment(ref _expired);
                }
            }

            foreach (var policy in _policies)
            {
                policy.EvictIdle(now);
            }
        }
        finally
        {
            Monitor.Exit(_sweepLock);
        }
    }

    private static void SortById(Span<Counter> counters)
    {
        for (var i = 1; i < counters.Length; i++)
        {
            var item = counters[i];
            var j = i - 1;
            while (j >= 0 && counters[j].Id > item.Id)
            {
                counters[j + 1] = counters[j];
                j--;
            }

            counters[j + 1] = item;
        }
    }

    [InlineArray(Length)]
    private struct CounterBuffer
    {
        public const int Length = 8;
        private Counter _element;
    }

    [InlineArray(Length)]
    private struct CrossingBuffer
    {
        public const int Length = 8;
        private (Counter Counter, int Fired) _element;
    }

    private sealed class Slot
    {
        public readonly Counter[] Counters = new Counter[CounterBuffer.Length];

        // Per counter: the window (calendar start ticks) or sliding bucket in which the reservation's request was counted.
        public readonly long[] RequestMarks = new long[CounterBuffer.Length];
        public long Id;

        // 1 while the slot holds a reservation (claimed by compare-and-swap), 0 when free.
        public int Taken;
        public int Generation;
        public int Count;
        public decimal Cost;
        public long Tokens;
        public long ExpiresTicks;
    }

    private sealed class PolicyState
    {
        private readonly InMemoryBudgetLedger _ledger;
        private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
        private Counter? _single;

        public PolicyState(BudgetPolicy policy, InMemoryBudgetLedger ledger)
        {
            Policy = policy;
            _ledger = ledger;
            Zone = TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZoneId);
            SingleKey = policy.Level is null || policy.Key is not null;
        }

        public BudgetPolicy Policy { get; }

        public TimeZoneInfo Zone { get; }

        public bool SingleKey { get; }

        public Counter? Find(string key) => SingleKey ? Volatile.Read(ref _single) : _counters.GetValueOrDefault(key);

        public Counter GetOrCreate(string key)
        {
            if (SingleKey)
            {
                return Volatile.Read(ref _single) ?? Interlocked.CompareExchange(ref _single, NewCounter(key), null) ?? _single!;
            }

            return _counters.TryGetValue(key, out var counter)
                ? counter
                : _counters.GetOrAdd(key, static (k, state) => state.NewCounter(k), this);
        }

        public void EvictIdle(DateTimeOffset now)
        {
            if (SingleKey || Policy.Window == BudgetWindow.Lifetime)
            {
                return;
            }

            foreach (var (key, counter) in _counters)
            {
                lock (counter)
                {
                    counter.Roll(now);
                    if (counter.IsIdle(now))
                    {
                        counter.Evicted = true;
                        _counters.TryRemove(new KeyValuePair<string, Counter>(key, counter));
                    }
                }
            }
        }

        private Counter NewCounter(string key) => new(this, key, Interlocked.Increment(ref _ledger._nextCounterId));
    }

    private sealed class Counter
    {
        private readonly decimal[]? _ringCost;
        private readonly long[]? _ringTokens;
        private readonly long[]? _ringIndex;
        private readonly long[]? _ringRequests;
        private readonly long _bucketTicks;
        private readonly double _costLimit;
        private readonly double _tokenLimit;
        private readonly bool _hasCostLimit;
        private readonly bool _hasTokenLimit;
        private readonly decimal _costLimitExact;
        private readonly long _tokenLimitExact;
        private readonly bool _hasRequestLimit;
        private readonly long _requestLimit;
        private readonly bool _strict;
        private readonly double[] _thresholds;
        private DateTimeOffset _windowStart;
        private DateTimeOffset _windowEnd;
        private decimal _spent;
        private long _spentTokens;
        private long _requests;
        private int _fired;
        private long _lastBucket = long.MinValue;

        public Counter(PolicyState owner, string key, int id)
        {
            Owner = owner;
            Key = key;
            Id = id;
            _costLimit = owner.Policy.CostLimit is { } c ? (double)c : double.NaN;
            _tokenLimit = owner.Policy.TokenLimit is { } t ? t : double.NaN;
            _hasCostLimit = owner.Policy.CostLimit is not null;
            _hasTokenLimit = owner.Policy.TokenLimit is not null;
            _costLimitExact = owner.Policy.CostLimit ?? 0;
            _tokenLimitExact = owner.Policy.TokenLimit ?? 0;
            _hasRequestLimit = owner.Policy.RequestLimit is not null;
            _requestLimit = owner.Policy.RequestLimit ?? 0;
            _strict = owner.Policy.Mode == BudgetMode.Strict;
            _thresholds = [.. owner.Policy.SoftThresholds ?? []];
            if (owner.Policy.Window == BudgetWindow.Sliding)
            {
                _ringCost = new decimal[SlidingBuckets];
                _ringTokens = new long[SlidingBuckets];
                _ringIndex = new long[SlidingBuckets];
                _ringRequests = new long[SlidingBuckets];
                Array.Fill(_ringIndex, long.MinValue);
                _bucketTicks = Math.Max(1, owner.Policy.SlidingWindow.Ticks / SlidingBuckets);
            }
        }

        public PolicyState Owner { get; }

        public string Key { get; }

        public int Id { get; }

        public decimal Reserved { get; set; }

        public bool Evicted { get; set; }

        public long ReservedTokens { get; set; }

        public void Roll(DateTimeOffset now)
        {
            switch (Owner.Policy.Window)
            {
                case BudgetWindow.Lifetime:
                    return;
                case BudgetWindow.Sliding:
                {
                    // The running total only changes when a sub-bucket ages out, so it is recomputed once per sub-bucket period.
                    var current = now.UtcTicks / _bucketTicks;
                    if (current == _lastBucket)
                    {
                        return;
                    }

                    _lastBucket = current;
                    decimal cost = 0;
                    long tokens = 0;
                    long requests = 0;
                    for (var i = 0; i < SlidingBuckets; i++)
                    {
                        if (_ringIndex![i] > current - SlidingBuckets)
                        {
                            cost += _ringCost![i];
                            tokens += _ringTokens![i];
                            requests += _ringRequests![i];
                        }
                    }

                    if (cost < _spent)
                    {
                        _fired = 0; // spend slid out of the window: thresholds may fire again
                    }

                    _spent = cost;
                    _spentTokens = tokens;
                    _requests = requests;
                    return;
                }

                default:
                    if (now >= _windowEnd || now < _windowStart)
                    {
                        (_windowStart, _windowEnd) = BudgetWindowCalculator.Calendar(Owner.Policy.Window, Owner.Zone, Owner.Policy.FirstDayOfWeek, now);
                        _spent = 0;
                        _spentTokens = 0;
                        _requests = 0;
                        _fired = 0;
                    }

                    return;
            }
        }

        public double Utilization(decimal extraCost, long extraTokens)
        {
            var u = 0.0;
            if (!double.IsNaN(_costLimit))
            {
                var used = (double)(_spent + Reserved + extraCost);
                u = BudgetMath.Utilization(used, _costLimit);
            }

            if (!double.IsNaN(_tokenLimit))
            {
                double used = _spentTokens + ReservedTokens + extraTokens;
                u = Math.Max(u, BudgetMath.Utilization(used, _tokenLimit));
            }

            return u;
        }

        public BudgetDenial? Admit(decimal cost, long tokens, DateTimeOffset now, ref double utilization)
        {
            var strict = _strict;
            if (_hasCostLimit)
            {
                var used = _spent + Reserved;
                utilization = Math.Max(utilization, BudgetMath.Utilization((double)used, _costLimit));
                if (strict ? used + cost > _costLimitExact : used >= _costLimitExact)
                {
                    return Deny(isTokens: false, _costLimitExact, _spent, Reserved, cost, now);
                }
            }

            if (_hasTokenLimit)
            {
                var used = _spentTokens + ReservedTokens;
                utilization = Math.Max(utilization, BudgetMath.Utilization(used, _tokenLimit));
                if (strict ? used + tokens > _tokenLimitExact : used >= _tokenLimitExact)
                {
                    return Deny(isTokens: true, _tokenLimitExact, _spentTokens, ReservedTokens, tokens, now);
                }
            }

            if (_hasRequestLimit && _requests >= _requestLimit)
            {
                return DenyRequest(now);
            }

            return null;
        }

        /// <summary>Counts one admitted request in the current window; returns where it was counted, for <see cref="ReturnRequest"/>.</summary>
        public long CountRequest(DateTimeOffset now)
        {
            _requests++;
            switch (Owner.Policy.Window)
            {
                case BudgetWindow.Lifetime:
                    return 0;
                case BudgetWindow.Sliding:
                {
                    var index = now.UtcTicks / _bucketTicks;
                    _ringRequests![BucketFor(index)]++;
                    return index;
                }

                default:
                    return _windowStart.UtcTicks;
            }
        }

        /// <summary>Gives back a request counted at <paramref name="mark"/>, if its window (or sliding bucket) still counts it.</summary>
        public void ReturnRequest(long mark)
        {
            switch (Owner.Policy.Window)
            {
                case BudgetWindow.Lifetime:
                    _requests--;
                    return;
                case BudgetWindow.Sliding:
                {
                    var pos = (int)(mark % SlidingBuckets);
                    if (_ringIndex![pos] == mark && _ringRequests![pos] > 0)
                    {
                        _ringRequests[pos]--;
                        if (mark > _lastBucket - SlidingBuckets)
                        {
                            _requests--; // the bucket is still inside the window (Roll ran for now)
                        }
                    }

                    return;
                }

                default:
                    if (_windowStart.UtcTicks == mark)
                    {
                        _requests--;
                    }

                    return;
            }
        }

        // The ring position of sliding bucket index, cleared when it last held an older bucket.
        private int BucketFor(long index)
        {
            var pos = (int)(index % SlidingBuckets);
            if (_ringIndex![pos] != index)
            {
                _ringIndex[pos] = index;
                _ringCost![pos] = 0;
                _ringTokens![pos] = 0;
                _ringRequests![pos] = 0;
            }

            return pos;
        }

        public int AddSpent(decimal cost, long tokens, DateTimeOffset now)
        {
            if (_ringCost is not null)
            {
                var pos = BucketFor(now.UtcTicks / _bucketTicks);
                _ringCost[pos] += cost;
                _ringTokens![pos] += tokens;
            }

            _spent += cost;
            _spentTokens += tokens;
            var thresholds = _thresholds;
            if (thresholds.Length == 0)
            {
                return 0;
            }

            var after = Math.Max(
                _hasCostLimit ? (_costLimit == 0 ? double.PositiveInfinity : (double)_spent / _costLimit) : 0,
                _hasTokenLimit ? (_tokenLimit == 0 ? double.PositiveInfinity : _spentTokens / _tokenLimit) : 0);
            var fired = 0;
            for (var t = 0; t < thresholds.Length && t < 31; t++)
            {
                if (after >= thresholds[t] && (_fired & (1 << t)) == 0)
                {
                    _fired |= 1 << t;
                    fired |= 1 << t;
                }
            }

            return fired;
        }

        public bool IsIdle(DateTimeOffset now) => Reserved == 0 && ReservedTokens == 0 && _spent == 0 && _spentTokens == 0 && _requests == 0;

        public BudgetUsage Snapshot(DateTimeOffset now) => new()
        {
            Policy = Owner.Policy,
            Key = Key,
            WindowStart = Owner.Policy.Window switch
            {
                BudgetWindow.Lifetime => null,
                BudgetWindow.Sliding => now - Owner.Policy.SlidingWindow,
                _ => _windowStart,
            },
            WindowResetsAt = Owner.Policy.Window switch
            {
                BudgetWindow.Lifetime => null,
                BudgetWindow.Sliding => now + TimeSpan.FromTicks(_bucketTicks),
                _ => _windowEnd,
            },
            SpentCost = _spent,
            ReservedCost = Reserved,
            SpentTokens = _spentTokens,
            ReservedTokens = ReservedTokens,
            Requests = _requests,
            Utilization = Utilization(0, 0),
            Overspend = _hasCostLimit && _spent > _costLimitExact ? _spent - _costLimitExact : 0,
        };

        private BudgetDenial DenyRequest(DateTimeOffset now)
        {
            long? oldest = null;
            if (Owner.Policy.Window == BudgetWindow.Sliding)
            {
                // The oldest bucket still in the window that counts a request: the slot frees when that bucket leaves the window.
                var current = now.UtcTicks / _bucketTicks;
                oldest = current;
                for (var i = 0; i < SlidingBuckets; i++)
                {
                    if (_ringIndex![i] > current - SlidingBuckets && _ringRequests![i] > 0 && _ringIndex[i] < oldest)
                    {
                        oldest = _ringIndex[i];
                    }
                }
            }

            var retryAfter = RequestLimitDenial.RetryAfter(Owner.Policy.Window, _windowEnd, oldest, _bucketTicks, now);
            return RequestLimitDenial.Create(Owner.Policy, Key, _requestLimit, _requests, retryAfter, _windowEnd, now);
        }

        private BudgetDenial Deny(bool isTokens, decimal limit, decimal spent, decimal reserved, decimal requested, DateTimeOffset now) => new()
        {
            Policy = Owner.Policy,
            Key = Key,
            IsTokenLimit = isTokens,
            Limit = limit,
            Spent = spent,
            Reserved = reserved,
            Requested = requested,
            WindowResetsAt = Owner.Policy.Window switch
            {
                BudgetWindow.Lifetime => null,
                BudgetWindow.Sliding => now + TimeSpan.FromTicks(_bucketTicks),
                _ => _windowEnd,
            },
        };
    }
}
