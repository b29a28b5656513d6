using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="LoopGuardChatClient"/> to a chat client pipeline.</summary>
public static class LoopGuardChatClientBuilderExtensions
{
    /// <summary>Adds agent run limits, loop detection, retry-storm detection and the cost circuit breaker. Call it after
    /// <c>UseFunctionInvocation()</c> so it sits inside the tool loop and sees every round trip.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options; they are validated here.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseLoopGuard(this ChatClientBuilder builder, Action<LoopGuardOptions>? configure = null) =>
        builder.UseLoopGuard(configure, (services, inner) => GovernanceServices.Resolve(services, inner));

    internal static ChatClientBuilder UseLoopGuard(this ChatClientBuilder builder, Action<LoopGuardOptions>? configure, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new LoopGuardOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new LoopGuardOptionsValidator(), options);
        return builder.Use((inner, services) => new LoopGuardChatClient(inner, options, resolve(services, inner).Time,
            services.GetService<ILoggerFactory>()?.CreateLogger(typeof(LoopGuardChatClient))));
    }
}
