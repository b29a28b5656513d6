using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(TokenGovernor.Benchmarks.TokenEstimatorBenchmarks).Assembly).Run(args);
