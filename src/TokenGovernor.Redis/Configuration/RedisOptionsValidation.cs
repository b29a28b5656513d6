using Microsoft.Extensions.Options;

namespace TokenGovernor.Redis;

[OptionsValidator]
internal sealed partial class RedisBudgetLedgerOptionsValidator : IValidateOptions<RedisBudgetLedgerOptions>;

[OptionsValidator]
internal sealed partial class RedisSemanticCacheReplicatorOptionsValidator : IValidateOptions<RedisSemanticCacheReplicatorOptions>;

internal static class RedisOptionsValidation
{
    public static void Validate(RedisBudgetLedgerOptions options)
    {
        OptionsValidation.ThrowIfInvalid(new RedisBudgetLedgerOptionsValidator(), options);
        Check(options.ReservationLease, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7), "RedisBudgetLedgerOptions.ReservationLease", "make it longer than your slowest call");
        Check(options.OperationTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), "RedisBudgetLedgerOptions.OperationTimeout", "a few hundred milliseconds suits a Redis in the same region");
        Check(options.RetryInterval, TimeSpan.Zero, TimeSpan.FromHours(1), "RedisBudgetLedgerOptions.RetryInterval", "use a few seconds");
        Check(options.UtilizationCacheDuration, TimeSpan.Zero, TimeSpan.FromMinutes(10), "RedisBudgetLedgerOptions.UtilizationCacheDuration", "use about a second");
        Check(options.ClosedReservationRetention, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30), "RedisBudgetLedgerOptions.ClosedReservationRetention", "use an hour or more");
        if (!Enum.IsDefined(options.FailurePolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FailurePolicy, "RedisBudgetLedgerOptions.FailurePolicy must be FailClosed or FailOpen.");
        }
    }

    public static void Validate(RedisSemanticCacheReplicatorOptions options)
    {
        OptionsValidation.ThrowIfInvalid(new RedisSemanticCacheReplicatorOptionsValidator(), options);
        Check(options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10), "RedisSemanticCacheReplicatorOptions.PollInterval", "use about a second");
        Check(options.OperationTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), "RedisSemanticCacheReplicatorOptions.OperationTimeout", "a few hundred milliseconds suits a Redis in the same region");
        Check(options.RetryInterval, TimeSpan.Zero, TimeSpan.FromHours(1), "RedisSemanticCacheReplicatorOptions.RetryInterval", "use a few seconds");
    }

    private static void Check(TimeSpan value, TimeSpan min, TimeSpan max, string name, string hint)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} is {value}; it must be between {min} and {max} ({hint}).");
        }
    }
}
