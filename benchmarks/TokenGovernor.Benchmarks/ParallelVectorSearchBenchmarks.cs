using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>Top-1 float search over one partition of 1,000,000 rows × 384 dimensions: one core versus the parallel partitioned scan on all cores.</summary>
[MemoryDiagnoser]
public class ParallelVectorSearchBenchmarks
{
    private const int Rows = 1_000_000;
    private VectorIndex<int> _serial = null!;
    private VectorIndex<int> _parallel = null!;
    private float[] _query = null!;
    private VectorMatch<int>[] _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (data, query) = VectorSearchBenchmarks.Data(Rows, VectorSearchBenchmarks.Dims, seed: 7);
        _query = query;
        _serial = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: int.MaxValue);
        _parallel = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: 131_072);
        _result = new VectorMatch<int>[1];
    }

    [Benchmark(Baseline = true)]
    public int SerialScan1M() => _serial.Search("p", _query, _result);

    [Benchmark]
    public int ParallelScan1M() => _parallel.Search("p", _query, _result);
}
