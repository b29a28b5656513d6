namespace TokenGovernor.Redis.Tests;

/// <summary>
/// Tests that time Redis operations against <c>OperationTimeout</c>, pause or kill their server, or count a server's commands. They
/// run one at a time, after the parallel tests: on two cores, a parallel neighbour's JIT or GC pause is larger than the margins
/// they assert, and a neighbour's reconnecting client can land on a freed port.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
#pragma warning disable CA1515, CA1711 // xunit needs the collection definition public; "Collection" is xunit's own name for it
public sealed class TimingSensitiveCollection
#pragma warning restore CA1515, CA1711
{
    /// <summary>The collection name.</summary>
    public const string Name = "Redis timing-sensitive tests";
}
