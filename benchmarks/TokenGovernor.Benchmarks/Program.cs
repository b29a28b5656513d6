using BenchmarkDotNet.Running;
using TokenGovernor.Benchmarks;

if (args.Length > 0 && args[0] == "--accuracy")
{
    Accuracy.Run(args.Length > 1 ? args[1] : null);
    return;
}

if (args.Length > 2 && args[0] == "--price-coverage")
{
    PriceCoverage.Run(args[1], args[2]);
    return;
}

if (args.Length > 0 && args[0] == "--model-memory")
{
    await EmbeddingBenchmarks.MeasureModelMemory();
    return;
}

if (args.Length > 0 && args[0] == "--int8-kernels")
{
    Int8KernelProbe.Run();
    return;
}

if (args.Length > 0 && args[0] == "--redis-report")
{
    await RedisReport.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(TokenEstimatorBenchmarks).Assembly).Run(args);
