namespace TokenGovernor.Redis;

/// <summary>
/// The ledger's Lua scripts. Each ledger operation is one script, so one round trip, executed atomically by Redis.
/// </summary>
/// <remarks>
/// <para>Key layout, all under one hash tag (<c>{prefix}</c>) so a Redis Cluster keeps a ledger on one slot:
/// <c>{p}:seq</c> reservation ids; <c>{p}:leases</c> sorted set of open reservations by lease expiry (ms);
/// <c>{p}:r:&lt;id&gt;</c> a reservation (state o=open, s=settled, r=released, x=reclaimed; cost, tokens, counters), kept after it
/// closes for the retention period so a retried settle or release is recognised; <c>{p}:h:&lt;policy&gt;␟&lt;key&gt;</c> what is
/// held by open reservations (rc, rt); <c>{p}:s:&lt;policy&gt;␟&lt;key&gt;:&lt;window&gt;</c> what was spent in a window (c, t, and n
/// the requests admitted; or c&lt;bucket&gt;/u&lt;bucket&gt;/n&lt;bucket&gt; for sliding windows), the soft thresholds already fired (f),
/// expiring after the window. A reservation remembers the window (w&lt;i&gt;) and bucket (b&lt;i&gt;) in which each counter counted
/// its request, so a release, an abandon or a reclaim gives the request back there; a settle keeps it.</para>
/// <para>Money is carried as integer nano-dollars (1e-9 USD) in strings; Lua compares them as doubles, exact up to 2^53 units
/// (about 9 million USD per window). Redis converts Lua numbers with 14 significant digits, so amounts are never written from
/// Lua numbers: increments pass the caller's strings through, totals are formatted with <c>%.0f</c>.</para>
/// </remarks>
internal static class RedisLedgerScripts
{
    private const string Common = """
        local P = ARGV[1]
        local SEP = '\31'
        local SPAN = 60
        local function hkey(p, k) return P .. ':h:' .. p .. SEP .. k end
        local function skey(p, k, w) return P .. ':s:' .. p .. SEP .. k .. ':' .. w end
        local function num(v) if v then return tonumber(v) or 0 end return 0 end
        local function fmt(x) return string.format('%.0f', x) end
        local function neg(s) if s == '0' then return '0' end return '-' .. s end
        local function util(used, limit)
          if limit < 0 then return 0 end
          if limit == 0 then if used > 0 then return math.huge end return 1 end
          return used / limit
        end
        -- What a window spent: cost, tokens, requests, and (sliding) the oldest bucket that counts a request, else -1.
        local function spent(sk, bucket)
          if bucket < 0 then
            local v = redis.call('HMGET', sk, 'c', 't', 'n')
            return num(v[1]), num(v[2]), num(v[3]), -1
          end
          local all = redis.call('HGETALL', sk)
          local c, t, n, oldest, stale = 0, 0, 0, -1, {}
          for i = 1, #all, 2 do
            local f = all[i]
            local kind = string.sub(f, 1, 1)
            if kind == 'c' or kind == 'u' or kind == 'n' then
              local idx = tonumber(string.sub(f, 2))
              if idx then
                if idx > bucket - SPAN then
                  local v = tonumber(all[i + 1])
                  if kind == 'c' then c = c + v elseif kind == 'u' then t = t + v else
                    n = n + v
                    if v > 0 and (oldest < 0 or idx < oldest) then oldest = idx end
                  end
                else
                  stale[#stale + 1] = f
                end
              end
            end
          end
          if #stale > 0 then redis.call('HDEL', sk, unpack(stale)) end
          return c, t, n, oldest
        end
        -- The field that counts a window's requests: n, or n<bucket> in a sliding window.
        local function nfield(bucket)
          if tonumber(bucket) < 0 then return 'n' end
          return 'n' .. tonumber(bucket)
        end
        -- Reads a reservation in one call: {st, c, t, n, counters = {{p, k}, ...}}, or nil.
        local function reservation(id)
          local all = redis.call('HGETALL', P .. ':r:' .. id)
          if #all == 0 then return nil end
          local r = {counters = {}}
          for i = 1, #all, 2 do r[all[i]] = all[i + 1] end
          for i = 0, tonumber(r.n) - 1 do r.counters[i] = {r['p' .. i], r['k' .. i]} end
          return r
        end
        -- Releases an open reservation's hold; returns the reservation and what each counter still holds, or nil. Unless it is
        -- settled (state 's'), each counter's request is given back to the window it was counted in, if that window still has it.
        local function release(leases, id, state, retention)
          redis.call('ZREM', leases, id)
          local r = reservation(id)
          if r == nil or r.st ~= 'o' then return nil end
          r.held = {}
          for i = 0, tonumber(r.n) - 1 do
            local hk = hkey(r.counters[i][1], r.counters[i][2])
            local rc = redis.call('HINCRBY', hk, 'rc', neg(r.c))
            local rt = redis.call('HINCRBY', hk, 'rt', neg(r.t))
            if rc <= 0 and rt <= 0 then redis.call('DEL', hk) end
            r.held[i] = {rc, rt}
            local w = r['w' .. i]
            if state ~= 's' and w then
              local sk, f = skey(r.counters[i][1], r.counters[i][2], w), nfield(r['b' .. i])
              if num(redis.call('HGET', sk, f)) > 0 then redis.call('HINCRBY', sk, f, -1) end
            end
          end
          local key = P .. ':r:' .. id
          redis.call('HSET', key, 'st', state)
          redis.call('PEXPIRE', key, retention)
          return r
        end
        -- Adds a charge to a counter's window and fires soft thresholds once per window. cfg: w, ttl, cl, tl, th, b.
        -- Returns the fired bits and the window's cost, tokens and requests after the charge.
        local function charge(p, k, cfg, c, t)
          local sk = skey(p, k, cfg.w)
          local sc, st, sn
          local f = 0
          local track = cfg.th ~= ''
          if cfg.b < 0 then
            sc = redis.call('HINCRBY', sk, 'c', c)
            st = redis.call('HINCRBY', sk, 't', t)
            -- A window key is expired once, when its first charge creates it.
            if sc == tonumber(c) and st == tonumber(t) and tonumber(cfg.ttl) > 0 then redis.call('PEXPIRE', sk, cfg.ttl) end
            if track then f = num(redis.call('HGET', sk, 'f')) end
            sn = num(redis.call('HGET', sk, 'n'))
          else
            local before = spent(sk, cfg.b)
            local v = redis.call('HMGET', sk, 'f', 'ls')
            f = num(v[1])
            if before < num(v[2]) then f = 0 end
            redis.call('HINCRBY', sk, 'c' .. cfg.b, c)
            redis.call('HINCRBY', sk, 'u' .. cfg.b, t)
            sc, st, sn = spent(sk, cfg.b)
            redis.call('HSET', sk, 'ls', fmt(sc))
            redis.call('PEXPIRE', sk, cfg.ttl)
          end
          local fired = 0
          if track then
            local after = math.max(util(sc, cfg.cl), util(st, cfg.tl))
            local j = 0
            for th in string.gmatch(cfg.th, '[^,]+') do
              local bitv = 2 ^ j
              if after >= tonumber(th) and bit.band(f, bitv) == 0 then
                f = bit.bor(f, bitv)
                fired = bit.bor(fired, bitv)
              end
              j = j + 1
            end
            if fired ~= 0 or cfg.b >= 0 then redis.call('HSET', sk, 'f', f) end
          end
          return fired, sc, st, sn
        end
        local function held(p, k)
          local h = redis.call('HMGET', hkey(p, k), 'rc', 'rt')
          return num(h[1]), num(h[2])
        end
        """;

    /// <summary>
    /// Reserve. KEYS: seq, leases. ARGV: prefix, now ms, cost units, tokens, lease expiry ms, retention ms, sweep batch, n; then
    /// per counter: policy, key, window id, ttl ms, cost limit (-1 none), token limit (-1 none), strict (1/0), bucket (-1 calendar),
    /// request limit (-1 none); then the caller's request token. Returns granted {1, id, utilization, reclaimed, (spent,
    /// spentTokens, reserved, reservedTokens, requests) per counter}, denied {0, counter index, limit kind (0 cost, 1 tokens,
    /// 2 requests), spent, reserved, utilization, reclaimed, oldest bucket counting a request (-1 none or calendar)}, or {2} when
    /// the request was abandoned (see <see cref="Abandon"/>) before it ran. A grant counts one request in each counter's window.
    /// </summary>
    /// <remarks>A grant maps the request token to the reservation id (<c>{p}:q:&lt;token&gt;</c>, for the lease), so a caller
    /// that never saw the reply can still give the hold back.</remarks>
    public const string Reserve = Common + "\n" + """
        local now, cost, tokens = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local reclaimed = 0
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[7]))) do
          if release(KEYS[2], id, 'x', ARGV[6]) ~= nil then reclaimed = reclaimed + 1 end
        end
        local n, W = tonumber(ARGV[8]), 9
        local utilization = 0
        local state = {}
        for i = 0, n - 1 do
          local o = 8 + i * W
          local p, k, w = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
          local cl, tl, strict, b = tonumber(ARGV[o + 5]), tonumber(ARGV[o + 6]), ARGV[o + 7] == '1', tonumber(ARGV[o + 8])
          local rl = tonumber(ARGV[o + 9])
          local sc, st, sn, oldest = spent(skey(p, k, w), b)
          local rc, rt = held(p, k)
          if cl >= 0 then
            utilization = math.max(utilization, util(sc + rc, cl))
            if (strict and sc + rc + cost > cl) or ((not strict) and sc + rc >= cl) then
              return {0, i, 0, fmt(sc), fmt(rc), tostring(utilization), reclaimed, -1}
            end
          end
          if tl >= 0 then
            utilization = math.max(utilization, util(st + rt, tl))
            if (strict and st + rt + tokens > tl) or ((not strict) and st + rt >= tl) then
              return {0, i, 1, fmt(st), fmt(rt), tostring(utilization), reclaimed, -1}
            end
          end
          if rl >= 0 and sn >= rl then
            return {0, i, 2, fmt(sn), '0', tostring(utilization), reclaimed, oldest}
          end
          state[i] = {sc, st, rc, rt, sn}
        end
        local id = redis.call('INCR', KEYS[1])
        if not redis.call('SET', P .. ':q:' .. ARGV[9 + n * W], id, 'NX', 'PX', tonumber(ARGV[5]) - now) then return {2} end
        local r = P .. ':r:' .. id
        local fields = {'st', 'o', 'c', ARGV[3], 't', ARGV[4], 'n', n}
        local out = {1, id, tostring(utilization), reclaimed}
        for i = 0, n - 1 do
          local o = 8 + i * W
          fields[#fields + 1] = 'p' .. i
          fields[#fields + 1] = ARGV[o + 1]
          fields[#fields + 1] = 'k' .. i
          fields[#fields + 1] = ARGV[o + 2]
          fields[#fields + 1] = 'w' .. i
          fields[#fields + 1] = ARGV[o + 3]
          fields[#fields + 1] = 'b' .. i
          fields[#fields + 1] = ARGV[o + 8]
          local hk = hkey(ARGV[o + 1], ARGV[o + 2])
          local rc = redis.call('HINCRBY', hk, 'rc', ARGV[3])
          local rt = redis.call('HINCRBY', hk, 'rt', ARGV[4])
          -- Count the request in the window; a key this creates expires with its window (a sliding key: after its span).
          local sk, b, ttl = skey(ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]), tonumber(ARGV[o + 8]), tonumber(ARGV[o + 4])
          local sn = redis.call('HINCRBY', sk, nfield(b), 1)
          if ttl > 0 and (b >= 0 or redis.call('PTTL', sk) < 0) then redis.call('PEXPIRE', sk, ttl) end
          out[#out + 1] = fmt(state[i][1])
          out[#out + 1] = fmt(state[i][2])
          out[#out + 1] = fmt(rc)
          out[#out + 1] = fmt(rt)
          out[#out + 1] = fmt(sn)
        end
        redis.call('HSET', r, unpack(fields))
        redis.call('ZADD', KEYS[2], ARGV[5], id)
        return out
        """;

    private const string PolicyTable = """
        local function policies(base, np)
          local pol = {}
          for i = 0, np - 1 do
            local o = base + i * 7
            pol[ARGV[o + 1]] = {w = ARGV[o + 2], ttl = ARGV[o + 3], cl = tonumber(ARGV[o + 4]), tl = tonumber(ARGV[o + 5]), th = ARGV[o + 6], b = tonumber(ARGV[o + 7])}
          end
          return pol
        end
        """;

    /// <summary>
    /// Settle. KEYS: leases. ARGV: prefix, now ms, id, actual cost units, actual tokens, retention ms, late (1 charges a
    /// reservation that was reclaimed while this instance could not reach Redis), np; then per ledger policy: name, window id,
    /// ttl ms, cost limit, token limit, thresholds (comma list), bucket. Returns nil when already settled/released/reclaimed,
    /// else {1, (policy, key, fired bits, spent, spentTokens, reserved, reservedTokens, requests) per counter}. The request the
    /// reservation counted stays counted.
    /// </summary>
    public const string Settle = Common + "\n" + PolicyTable + "\n" + """
        local id = ARGV[3]
        local r = release(KEYS[1], id, 's', ARGV[6])
        if r == nil then
          r = reservation(id)
          if r == nil or r.st ~= 'x' or ARGV[7] ~= '1' then return false end
          -- A late settle of a reclaimed reservation: its hold is already gone, the spend is charged.
          local key = P .. ':r:' .. id
          redis.call('HSET', key, 'st', 's')
          redis.call('PEXPIRE', key, ARGV[6])
        end
        local pol = policies(8, tonumber(ARGV[8]))
        local out = {1}
        for i = 0, tonumber(r.n) - 1 do
          local p, k = r.counters[i][1], r.counters[i][2]
          local cfg = pol[p]
          if cfg then
            local fired, sc, stok, sn = charge(p, k, cfg, ARGV[4], ARGV[5])
            local rc, rt
            if r.held then rc, rt = r.held[i][1], r.held[i][2] else rc, rt = held(p, k) end
            out[#out + 1] = p
            out[#out + 1] = k
            out[#out + 1] = fired
            out[#out + 1] = fmt(sc)
            out[#out + 1] = fmt(stok)
            out[#out + 1] = fmt(math.max(rc, 0))
            out[#out + 1] = fmt(math.max(rt, 0))
            out[#out + 1] = fmt(sn)
          end
        end
        return out
        """;

    /// <summary>Release. KEYS: leases. ARGV: prefix, id, retention ms. Returns 1 when the reservation was open, else 0. Gives the
    /// request back.</summary>
    public const string Release = Common + "\n" + """
        if release(KEYS[1], ARGV[2], 'r', ARGV[3]) ~= nil then return 1 end
        return 0
        """;

    /// <summary>
    /// Abandon a reserve whose reply the caller never saw (timeout, lost connection, cancellation). KEYS: leases. ARGV: prefix,
    /// request token, retention ms, lease ms. If the reserve ran, its hold is released; if it has not run yet, a tombstone makes it
    /// refuse when it does. Idempotent. Returns 1 when a hold was released, else 0.
    /// </summary>
    public const string Abandon = Common + "\n" + """
        local qk = P .. ':q:' .. ARGV[2]
        local id = redis.call('GET', qk)
        if not id then
          redis.call('SET', qk, '-', 'PX', ARGV[4])
          return 0
        end
        if id ~= '-' and release(KEYS[1], id, 'r', ARGV[3]) ~= nil then return 1 end
        return 0
        """;

    /// <summary>
    /// Charge spend that was admitted by the fail-open local ledger while Redis was unreachable. ARGV: prefix, charge id,
    /// retention ms, cost units, tokens, np, per policy (as Settle), then n and per counter: policy, key. Idempotent by charge id.
    /// Returns 0 when already applied, else the settle reply shape.
    /// </summary>
    public const string Charge = Common + "\n" + PolicyTable + "\n" + """
        if not redis.call('SET', P .. ':d:' .. ARGV[2], '1', 'NX', 'PX', ARGV[3]) then return 0 end
        local np = tonumber(ARGV[6])
        local pol = policies(6, np)
        local base = 6 + np * 7
        local out = {1}
        for i = 0, tonumber(ARGV[base + 1]) - 1 do
          local p, k = ARGV[base + 2 + i * 2], ARGV[base + 3 + i * 2]
          local cfg = pol[p]
          if cfg then
            local fired, sc, stok, sn = charge(p, k, cfg, ARGV[4], ARGV[5])
            local rc, rt = held(p, k)
            out[#out + 1] = p
            out[#out + 1] = k
            out[#out + 1] = fired
            out[#out + 1] = fmt(sc)
            out[#out + 1] = fmt(stok)
            out[#out + 1] = fmt(rc)
            out[#out + 1] = fmt(rt)
            out[#out + 1] = fmt(sn)
          end
        end
        return out
        """;

    /// <summary>Read counters. ARGV: prefix, n, per counter: policy, key, window id, bucket. Returns (spent, spentTokens, reserved, reservedTokens, requests) per counter.</summary>
    public const string Read = Common + "\n" + """
        local out = {}
        for i = 0, tonumber(ARGV[2]) - 1 do
          local o = 2 + i * 4
          local sc, st, sn = spent(skey(ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]), tonumber(ARGV[o + 4]))
          local rc, rt = held(ARGV[o + 1], ARGV[o + 2])
          out[#out + 1] = fmt(sc)
          out[#out + 1] = fmt(st)
          out[#out + 1] = fmt(rc)
          out[#out + 1] = fmt(rt)
          out[#out + 1] = fmt(sn)
        end
        return out
        """;
}
