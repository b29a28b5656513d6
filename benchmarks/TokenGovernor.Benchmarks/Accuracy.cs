namespace TokenGovernor.Benchmarks;

/// <summary>Measurements that are not timings: int8 recall@1 against exact float search, and memory per entry.</summary>
internal static class Accuracy
{
    public static void Run()
    {
        const int rows = VectorSearchBenchmarks.Rows, dims = VectorSearchBenchmarks.Dims, queries = 1_000;
        var (data, _) = VectorSearchBenchmarks.Data(rows, dims, seed: 42);
        var exact = VectorSearchBenchmarks.Build(data, rows, dims, quantize: false, parallelThreshold: 131_072);
        var int8 = VectorSearchBenchmarks.Build(data, rows, dims, quantize: true, parallelThreshold: 131_072);
        var random = new Random(99);
        var agree = 0;
        var query = new float[dims];
        for (var q = 0; q < queries; q++)
        {
            var target = random.Next(rows);
            for (var d = 0; d < dims; d++)
            {
                query[d] = data[(target * dims) + d] + (((float)random.NextDouble() - 0.5f) * 0.05f);
            }

            agree += exact.Search("p", query)[0].Payload == int8.Search("p", query)[0].Payload ? 1 : 0;
        }

        Console.WriteLine($"int8 recall@1 vs exact float search: {agree}/{queries} = {(double)agree / queries:P1} ({rows:N0} rows x {dims} dims)");
        Console.WriteLine($"memory per {dims}-dim entry: float {VectorIndex<int>.BytesPerEntry(dims, false)} B, int8 (+ float rows kept for re-ranking) {VectorIndex<int>.BytesPerEntry(dims, true)} B");
        Console.WriteLine($"index memory: float {exact.MemoryBytes / 1048576.0:F1} MiB, int8 {int8.MemoryBytes / 1048576.0:F1} MiB for {rows:N0} entries");
    }
}
