using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Top-1 search over one partition of 1,000,000 rows × 384 dimensions on this 2-core machine: one core versus the partitioned
/// scan on all cores, for the float scan (memory-bound: 1.5 GB per search) and the binary prefilter (48 MB of codes, mostly
/// compute); and two threads searching at once (time per search, two searches per invocation), which shows whether readers
/// of one partition block each other (they share a reader lock only).
/// </summary>
[MemoryDiagnoser]
public class ParallelVectorSearchBenchmarks
{
    private const int Rows = 1_000_000;
    private VectorIndex<int> _serial = null!;
    private VectorIndex<int> _parallel = null!;
    private VectorIndex<int> _serialBinary = null!;
    private VectorIndex<int> _parallelBinary = null!;
    private float[] _query = null!;
    private float[] _otherQuery = null!;
    private VectorMatch<int>[] _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (data, query) = VectorSearchBenchmarks.Data(Rows, VectorSearchBenchmarks.Dims, seed: 7);
        _query = query;
        _otherQuery = data.AsSpan(123_456 * VectorSearchBenchmarks.Dims, VectorSearchBenchmarks.Dims).ToArray();
        _serial = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: int.MaxValue);
        _parallel = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: 131_072);
        _serialBinary = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: int.MaxValue, binary: true);
        _parallelBinary = VectorSearchBenchmarks.Build(data, Rows, VectorSearchBenchmarks.Dims, quantize: false, parallelThreshold: 131_072, binary: true);
        _result = new VectorMatch<int>[1];
    }

    [Benchmark(Baseline = true)]
    public int SerialScan1M() => _serial.Search("p", _query, _result);

    [Benchmark]
    public int ParallelScan1M() => _parallel.Search("p", _query, _result);

    [Benchmark]
    public int SerialBinary1M() => _serialBinary.Search("p", _query, _result);

    [Benchmark]
    public int ParallelBinary1M() => _parallelBinary.Search("p", _query, _result);

    /// <summary>Two threads, one serial binary search each, at the same time; reported per search.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public int TwoThreadsBinary1M()
    {
        var other = new Thread(() => _serialBinary.Search("p", _otherQuery, new VectorMatch<int>[1]));
        other.Start();
        var found = _serialBinary.Search("p", _query, _result);
        other.Join();
        return found;
    }
}
