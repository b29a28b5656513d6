using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>Loading the built-in catalog (embedded JSON, ~2,500 models with match rules) and resolving ids against it: an exact
/// id, a dated Bedrock spelling resolved by rules the first time, and the memoized second lookup of that spelling.</summary>
[MemoryDiagnoser]
public class PriceCatalogBenchmarks
{
    private PriceCatalog _catalog = null!;
    private int _n;

    [GlobalSetup]
    public void Setup()
    {
        _catalog = new PriceCatalogBuilder().AddBuiltIn().Build();
        _catalog.TryGetPrice("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", out _);
    }

    [Benchmark(Baseline = true)]
    public bool LookupExactId() => _catalog.TryGetPrice("gpt-4o", out _);

    [Benchmark]
    public bool LookupMemoizedBedrockId() => _catalog.TryGetPrice("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", out _);

    [Benchmark]
    public bool ResolveNewSpellingByRules() => new PriceCatalogBuilder().AddBuiltIn().Build() is { } c && c.TryGetPrice($"claude-sonnet-4-5-2025{++_n % 12 + 1:00}01", out _);

    [Benchmark]
    public PriceCatalog LoadBuiltInCatalog() => new PriceCatalogBuilder().AddBuiltIn().Build();
}
