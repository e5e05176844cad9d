using SessionGateway.Micro.Infrastructure;

namespace SessionGateway.Micro.Baselines;

/// <summary>
/// References for the scale of the other numbers: what ASP.NET Core's own request context costs to create, empty and
/// with the dozen headers of the requests the other benchmarks use (Kestrel pools its contexts; these do not).
/// </summary>
[MemoryDiagnoser]
public class HttpContextCreation
{
    [Benchmark(Baseline = true)]
    public HttpContext Empty() => new DefaultHttpContext();

    [Benchmark]
    public HttpContext BrowserRequest() => BrowserRequests.Get(BrowserRequests.OtherCookies);
}
