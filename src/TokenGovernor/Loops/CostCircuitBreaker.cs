using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// The cost circuit breaker per scope key (session, else tenant): closed while the spend within
/// <see cref="LoopGuardOptions.CircuitWindow"/> stays at or below <see cref="LoopGuardOptions.CircuitCostThreshold"/>; open (every call
/// refused) for <see cref="LoopGuardOptions.CircuitCoolDown"/> once it goes above; then half-open, letting one probe call through,
/// whose cost closes the circuit again or re-opens it.
/// </summary>
/// <remarks>Like Polly's circuit-breaker controller, the state machine is kept apart from the pipeline that consults it. A closed
/// circuit whose window holds no spend says nothing a fresh one would not, so it is forgotten; at most
/// <see cref="LoopGuardOptions.MaxTrackedScopes"/> closed circuits are kept (the least recently active forgotten first). Open and
/// half-open circuits are never forgotten: that would let a runaway session straight back in.</remarks>
internal sealed class CostCircuitBreaker(LoopGuardOptions options, Action<CircuitStateChangedEventArgs> changed)
{
    private readonly ConcurrentDictionary<string, Circuit> _circuits = new(StringComparer.Ordinal);

    // Kept beside the table: ConcurrentDictionary.Count takes every lock of the table, too slow for a check on every call.
    private int _count;

    /// <summary>Gets the number of keys with a circuit held.</summary>
    public int TrackedScopes => Volatile.Read(ref _count);

    /// <summary>The state a call of <paramref name="key"/> would find now.</summary>
    public CircuitState GetState(string key, DateTimeOffset now)
    {
        if (!_circuits.TryGetValue(key, out var circuit))
        {
            return CircuitState.Closed;
        }

        lock (circuit)
        {
            return circuit.State == CircuitState.Open && now >= circuit.OpenUntil ? CircuitState.HalfOpen : circuit.State;
        }
    }

    /// <summary>Lets a call of <paramref name="key"/> through, or throws <see cref="CostCircuitOpenException"/> while the circuit is
    /// open or its half-open probe is still in flight. The first call after the cool-down is the probe.</summary>
    public void Admit(string key, DateTimeOffset now)
    {
        if (options.CircuitCostThreshold is null || !_circuits.TryGetValue(key, out var circuit))
        {
            return;
        }

        CircuitStateChangedEventArgs? change = null;
        lock (circuit)
        {
            switch (circuit.State)
            {
                case CircuitState.Open when now < circuit.OpenUntil:
                    throw new CostCircuitOpenException(key, circuit.OpenUntil, circuit.TripCost);
                case CircuitState.Open:
                    circuit.State = CircuitState.HalfOpen;
                    circuit.ProbeInFlight = true;
                    change = new CircuitStateChangedEventArgs(key, CircuitState.Open, CircuitState.HalfOpen, 0);
                    break;
                case CircuitState.HalfOpen when circuit.ProbeInFlight:
                    throw new CostCircuitOpenException(key, now, circuit.TripCost);
            }
        }

        if (change is not null)
        {
            changed(change);
        }
    }

    /// <summary>Adds the cost of a completed call of <paramref name="key"/>, and moves the circuit if it crosses the threshold
    /// (or completes the half-open probe).</summary>
    public void Record(string key, decimal cost, DateTimeOffset now)
    {
        if (options.CircuitCostThreshold is not { } threshold)
        {
            return;
        }

        CircuitStateChangedEventArgs? change;
        while (true)
        {
            var circuit = GetOrAdd(key);
            lock (circuit)
            {
                if (circuit.Forgotten)
                {
                    continue; // swept away between the lookup and the lock: record on the one that replaces it
                }

                change = Add(circuit, key, cost, threshold, now);
                break;
            }
        }

        if (change is not null)
        {
            changed(change);
        }

        if (TrackedScopes > options.MaxTrackedScopes)
        {
            Sweep(now);
        }
    }

    /// <summary>A call of <paramref name="key"/> failed without an answer. When it was the half-open probe, the probe is released:
    /// a failure says nothing about spend, so the next call probes again (otherwise the circuit would refuse every call forever).</summary>
    public void Failed(string key)
    {
        if (_circuits.TryGetValue(key, out var circuit))
        {
            lock (circuit)
            {
                if (circuit.State == CircuitState.HalfOpen)
                {
                    circuit.ProbeInFlight = false;
                }
            }
        }
    }

    // Called under the circuit's lock.
    private CircuitStateChangedEventArgs? Add(Circuit circuit, string key, decimal cost, decimal threshold, DateTimeOffset now)
    {
        circuit.LastActive = now;
        circuit.Window.Enqueue((now.UtcTicks, cost));
        circuit.WindowCost += cost;
        AgeOut(circuit, now);

        var from = circuit.State;
        if (from == CircuitState.HalfOpen)
        {
            circuit.ProbeInFlight = false;
            circuit.State = circuit.WindowCost > threshold ? CircuitState.Open : CircuitState.Closed;
        }
        else if (from == CircuitState.Closed && circuit.WindowCost > threshold)
        {
            circuit.State = CircuitState.Open;
        }

        if (circuit.State == from)
        {
            return null;
        }

        var windowCost = circuit.WindowCost;
        if (circuit.State == CircuitState.Open)
        {
            // The spend that tripped the breaker is not held against the probe after the cool-down.
            circuit.OpenUntil = now + options.CircuitCoolDown;
            circuit.TripCost = windowCost;
            circuit.Window.Clear();
            circuit.WindowCost = 0;
        }

        return new CircuitStateChangedEventArgs(key, from, circuit.State, windowCost);
    }

    private void AgeOut(Circuit circuit, DateTimeOffset now)
    {
        var oldest = now.UtcTicks - options.CircuitWindow.Ticks;
        while (circuit.Window.Count > 0 && circuit.Window.Peek().Ticks <= oldest)
        {
            circuit.WindowCost -= circuit.Window.Dequeue().Cost;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, circuit) in _circuits)
        {
            lock (circuit)
            {
                if (circuit.State == CircuitState.Closed)
                {
                    AgeOut(circuit, now);
                    if (circuit.Window.Count == 0)
                    {
                        Forget(key, circuit);
                    }
                }
            }
        }

        var excess = TrackedScopes - options.MaxTrackedScopes;
        if (excess <= 0)
        {
            return;
        }

        var victims = _circuits.Where(kv => kv.Value.State == CircuitState.Closed).Select(kv => (kv.Key, kv.Value, kv.Value.LastActive))
            .OrderBy(v => v.LastActive).Take(excess + (options.MaxTrackedScopes / 10)).ToList();
        foreach (var (key, circuit, _) in victims)
        {
            lock (circuit)
            {
                if (circuit.State == CircuitState.Closed)
                {
                    Forget(key, circuit);
                }
            }
        }
    }

    private Circuit GetOrAdd(string key)
    {
        while (true)
        {
            if (_circuits.TryGetValue(key, out var circuit))
            {
                return circuit;
            }

            circuit = new Circuit();
            if (_circuits.TryAdd(key, circuit))
            {
                Interlocked.Increment(ref _count);
                return circuit;
            }
        }
    }

    // Called under the circuit's lock, so no cost is added to a circuit after it left the table.
    private void Forget(string key, Circuit circuit)
    {
        circuit.Forgotten = true;
        if (_circuits.TryRemove(KeyValuePair.Create(key, circuit)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private sealed class Circuit
    {
        public Queue<(long Ticks, decimal Cost)> Window { get; } = new();

        public decimal WindowCost { get; set; }

        public CircuitState State { get; set; }

        public DateTimeOffset OpenUntil { get; set; }

        public decimal TripCost { get; set; }

        public bool ProbeInFlight { get; set; }

        public DateTimeOffset LastActive { get; set; }

        public bool Forgotten { get; set; }
    }
}
