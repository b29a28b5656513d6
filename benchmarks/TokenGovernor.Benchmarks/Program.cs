using BenchmarkDotNet.Running;
using TokenGovernor.Benchmarks;

if (args.Length > 0 && args[0] == "--accuracy")
{
    Accuracy.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(TokenEstimatorBenchmarks).Assembly).Run(args);
