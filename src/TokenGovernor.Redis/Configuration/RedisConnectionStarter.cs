using Microsoft.Extensions.Hosting;
using TokenGovernor.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Starts opening the Redis connection when the host starts, without waiting for it (an unreachable Redis never delays start-up).</summary>
internal sealed class RedisConnectionStarter(RedisConnectionSource source) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = source.ConnectAsync(); // resolving the source began the connect; nothing waits for it here
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
