namespace TokenGovernor.Redis;

/// <summary>The ledger's connection is known to be down (or still opening and failed), so the operation was not sent.</summary>
internal sealed class RedisNotConnectedException(string endpoint)
    : Exception($"not connected to Redis at {endpoint}");
