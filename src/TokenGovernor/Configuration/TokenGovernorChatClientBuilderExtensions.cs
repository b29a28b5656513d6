using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds the whole TokenGovernor stack to a chat client pipeline in one call.</summary>
public static class TokenGovernorChatClientBuilderExtensions
{
    /// <summary>
    /// Adds TokenGovernor's decorators in the design's order (outer → inner: loop guard, cache, routing, budgets, cost metering),
    /// whatever order <paramref name="configure"/> enables them in. Put <c>UseFunctionInvocation()</c> before this call so every
    /// tool round trip is governed.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Chooses and configures the layers; cost metering is always on.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseTokenGovernor(this ChatClientBuilder builder, Action<TokenGovernorPipelineBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var pipeline = new TokenGovernorPipelineBuilder();
        configure?.Invoke(pipeline);

        // One set of services for every layer: what UsePriceCatalog and UseBudgets(ledger:) were given reaches all of them.
        // ChatClientBuilder builds the innermost layer first, so metering resolves and the layers above reuse.
        var shared = new PipelineServices(pipeline.Catalog, pipeline.BudgetLedger);
        Func<IServiceProvider, IChatClient, GovernanceServices> resolve = shared.Get;

        // Outermost first: ChatClientBuilder applies the first Use as the outermost layer.
        if (pipeline.LoopGuard)
        {
            builder.UseLoopGuard(Shadowed(pipeline.ConfigureLoopGuard, pipeline.ShadowMode, static o => o.Shadow = true), resolve);
        }

        if (pipeline.OutputBudgets)
        {
            builder.UseOutputBudgetHints(pipeline.ConfigureOutputBudgets, resolve);
        }

        if (pipeline.Cache)
        {
            builder.UseResponseCache(Shadowed(pipeline.ConfigureCache, pipeline.ShadowMode, static o => o.Shadow = true), pipeline.Embedder, resolve);
        }

        if (pipeline.Routing)
        {
            builder.UseModelRouting(Shadowed(pipeline.ConfigureRouting, pipeline.ShadowMode, static o => o.Shadow = true), resolve);
        }

        if (pipeline.Budgets)
        {
            builder.UseBudgets(Shadowed(pipeline.ConfigureBudgets, pipeline.ShadowMode, static o => o.Shadow = true), resolve);
        }

        return builder.UseCostMetering(pipeline.ConfigureMetering, resolve);
    }

    private static Action<T>? Shadowed<T>(Action<T>? configure, bool shadow, Action<T> setShadow) =>
        !shadow ? configure : o =>
        {
            configure?.Invoke(o);
            setShadow(o);
        };
}
