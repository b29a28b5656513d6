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

        // Outermost first: ChatClientBuilder applies the first Use as the outermost layer.
        if (pipeline.LoopGuard)
        {
            builder.UseLoopGuard(pipeline.ConfigureLoopGuard);
        }

        if (pipeline.OutputBudgets)
        {
            builder.UseOutputBudgetHints(pipeline.ConfigureOutputBudgets);
        }

        if (pipeline.Cache)
        {
            builder.UseResponseCache(pipeline.ConfigureCache, pipeline.Embedder);
        }

        if (pipeline.Routing)
        {
            builder.UseModelRouting(pipeline.ConfigureRouting);
        }

        if (pipeline.Budgets)
        {
            builder.UseBudgets(pipeline.BudgetLedger, pipeline.ConfigureBudgets);
        }

        return builder.UseCostMetering(pipeline.Catalog, pipeline.ConfigureMetering);
    }
}
