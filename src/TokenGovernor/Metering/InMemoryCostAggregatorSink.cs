namespace TokenGovernor;

/// <summary>Forwards to the DI singleton <see cref="InMemoryCostAggregator"/>, so the aggregator is one instance whether it is
/// resolved as itself or among the <see cref="ICostSink"/>s.</summary>
internal sealed class InMemoryCostAggregatorSink(InMemoryCostAggregator aggregator) : ICostSink
{
    public void Record(GovernanceRecord record) => aggregator.Record(record);
}
