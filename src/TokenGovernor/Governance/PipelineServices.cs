using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Resolves <see cref="GovernanceServices"/> once per built pipeline: <c>UseTokenGovernor</c> gives one instance to all of its
/// layers; the innermost layer (built first) resolves, the others reuse. Building again with another service provider resolves
/// again, so nothing is written back into what the caller configured.
/// </summary>
internal sealed class PipelineServices(PriceCatalog? catalog, IBudgetLedger? ledger)
{
    private readonly object _gate = new();
    private IServiceProvider? _provider;
    private GovernanceServices? _services;

    public GovernanceServices Get(IServiceProvider services, IChatClient inner)
    {
        lock (_gate)
        {
            if (_services is null || !ReferenceEquals(_provider, services))
            {
                _services = GovernanceServices.Resolve(services, inner, catalog, ledger);
                _provider = services;
            }

            return _services;
        }
    }
}
