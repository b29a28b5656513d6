using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Chooses which TokenGovernor layers <c>UseTokenGovernor</c> adds. Whatever the order of the calls here, the layers are
/// stacked in the order of the design (outer → inner): loop guard, cache, routing, budgets, cost metering. Cost metering is
/// always on, because every other layer reads its figures.
/// </summary>
public sealed class TokenGovernorPipelineBuilder
{
    internal Action<CostMeteringOptions>? ConfigureMetering { get; private set; }

    internal PriceCatalog? Catalog { get; private set; }

    internal bool LoopGuard { get; private set; }

    internal Action<LoopGuardOptions>? ConfigureLoopGuard { get; private set; }

    internal bool OutputBudgets { get; private set; }

    internal Action<OutputBudgetOptions>? ConfigureOutputBudgets { get; private set; }

    internal bool Cache { get; private set; }

    internal Action<ResponseCacheOptions>? ConfigureCache { get; private set; }

    internal IEmbeddingGenerator<string, Embedding<float>>? Embedder { get; private set; }

    internal bool Routing { get; private set; }

    internal Action<RoutingOptions>? ConfigureRouting { get; private set; }

    internal bool Budgets { get; private set; }

    internal IBudgetLedger? BudgetLedger { get; private set; }

    internal Action<BudgetOptions>? ConfigureBudgets { get; private set; }

    internal bool ShadowMode { get; private set; }

    /// <summary>
    /// Puts the loop guard, cache, routing and budget layers in shadow mode: they decide and record what they would have done
    /// in <see cref="GovernanceRecord.ShadowActions"/> but do not act; metering still meters. Output budget hints are not
    /// shadowed (they only add an instruction and a cap you asked for).
    /// </summary>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseShadowMode()
    {
        ShadowMode = true;
        return this;
    }

    /// <summary>Bounds agent runs (<see cref="LoopGuardChatClient"/>): the outermost TokenGovernor layer, inside the tool loop.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseLoopGuard(Action<LoopGuardOptions>? configure = null)
    {
        LoopGuard = true;
        ConfigureLoopGuard = configure;
        return this;
    }

    /// <summary>Tells each request its answer budget and caps its output (<see cref="OutputBudgetChatClient"/>, TALE-style); off unless called.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseOutputBudgetHints(Action<OutputBudgetOptions>? configure = null)
    {
        OutputBudgets = true;
        ConfigureOutputBudgets = configure;
        return this;
    }

    /// <summary>Answers identical requests from the exact cache (<see cref="ResponseCacheChatClient"/>), above routing and budgets.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseResponseCache(Action<ResponseCacheOptions>? configure = null)
    {
        Cache = true;
        ConfigureCache = configure;
        return this;
    }

    /// <summary>Answers identical requests from the exact cache and similar ones from the semantic cache.</summary>
    /// <param name="embeddingGenerator">The embedder; defaults to the one registered for TokenGovernor (<see cref="TokenGovernorServiceKeys.EmbeddingGenerator"/>; never the app's own unkeyed one), else <see cref="HashingEmbeddingGenerator"/>.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    /// <remarks>The parameters come in the order of <see cref="ResponseCacheChatClientBuilderExtensions.UseSemanticCache(ChatClientBuilder, IEmbeddingGenerator{string, Embedding{float}}, Action{ResponseCacheOptions})"/>:
    /// the dependency first, the options last, as M.E.AI's builder extensions do.</remarks>
    public TokenGovernorPipelineBuilder UseSemanticCache(IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, Action<ResponseCacheOptions>? configure = null)
    {
        Cache = true;
        ConfigureCache = o =>
        {
            o.EnableSemantic = true;
            configure?.Invoke(o);
        };
        Embedder = embeddingGenerator;
        return this;
    }

    /// <summary>Answers identical requests from the exact cache and similar ones from the semantic cache, with the embedder TokenGovernor resolves.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseSemanticCache(Action<ResponseCacheOptions> configure) => UseSemanticCache(null, configure);

    /// <summary>Routes each call to the cheapest good-enough tier (<see cref="ModelRoutingChatClient"/>), below the cache and above budgets.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseModelRouting(Action<RoutingOptions>? configure = null)
    {
        Routing = true;
        ConfigureRouting = configure;
        return this;
    }

    /// <summary>Enforces budgets with the degradation ladder (<see cref="BudgetChatClient"/>), above cost metering.</summary>
    /// <param name="ledger">The ledger; defaults to the one registered in DI.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    /// <remarks>The parameters come in the order of <see cref="BudgetChatClientBuilderExtensions.UseBudgets(ChatClientBuilder, IBudgetLedger, Action{BudgetOptions})"/>.</remarks>
    public TokenGovernorPipelineBuilder UseBudgets(IBudgetLedger? ledger = null, Action<BudgetOptions>? configure = null)
    {
        Budgets = true;
        ConfigureBudgets = configure;
        BudgetLedger = ledger;
        return this;
    }

    /// <summary>Enforces budgets with the degradation ladder, on the ledger TokenGovernor resolves.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseBudgets(Action<BudgetOptions> configure) => UseBudgets(null, configure);

    /// <summary>Configures cost metering.</summary>
    /// <param name="configure">Configures the options.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UseCostMetering(Action<CostMeteringOptions>? configure = null)
    {
        ConfigureMetering = configure;
        return this;
    }

    /// <summary>Uses <paramref name="catalog"/> instead of the catalog registered in DI.</summary>
    /// <param name="catalog">The prices.</param>
    /// <returns>This builder.</returns>
    public TokenGovernorPipelineBuilder UsePriceCatalog(PriceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Catalog = catalog;
        return this;
    }
}
