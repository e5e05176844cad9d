using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace SessionGateway.Micro;

/// <summary>
/// Runs the benchmarks BenchmarkDotNet's command line selects (<c>--filter '*'</c> for all, <c>--job short</c> for a
/// quick look, <c>--list flat</c> to see them). Times in nanoseconds and allocations in bytes in every table, so
/// numbers from different runs and classes compare at a glance.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .WithSummaryStyle(SummaryStyle.Default.WithTimeUnit(TimeUnit.Nanosecond).WithSizeUnit(SizeUnit.B));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
