using Microsoft.Extensions.DependencyInjection;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="OutputBudgetChatClient"/> (TALE-style answer budgets) to a chat client pipeline.</summary>
public static class OutputBudgetChatClientBuilderExtensions
{
    /// <summary>Adds answer budgets: each request is told its token budget and its output is capped with headroom.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options; they are validated here.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseOutputBudgetHints(this ChatClientBuilder builder, Action<OutputBudgetOptions>? configure = null) =>
        builder.UseOutputBudgetHints(configure, (services, inner) => GovernanceServices.Resolve(services, inner));

    internal static ChatClientBuilder UseOutputBudgetHints(this ChatClientBuilder builder, Action<OutputBudgetOptions>? configure, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new OutputBudgetOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new OutputBudgetOptionsValidator(), options);
        return builder.Use((inner, services) => new OutputBudgetChatClient(inner, options, resolve(services, inner).Tokens));
    }
}
