using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Micro.Infrastructure;
using SessionGateway.Requests;

namespace SessionGateway.Micro.Requests;

/// <summary>
/// <see cref="RequestGuardMiddleware"/>, the first step of every request (method check, <c>Session:Paths</c> rules),
/// with the default settings: an ordinary path, which should cost next to nothing and allocate nothing, and one with
/// a doubled slash, which is merged.
/// </summary>
[MemoryDiagnoser]
public class RequestGuard
{
    private BenchGateway _gateway = null!;
    private RequestGuardMiddleware _guard = null!;
    private HttpContext _plain = null!;
    private HttpContext _doubleSlash = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        var services = _gateway.Services;
        _guard = new RequestGuardMiddleware(
            static _ => Task.CompletedTask,
            services.GetRequiredService<IOptionsMonitor<SessionSettings>>(),
            services.GetRequiredService<ILogger<RequestGuardMiddleware>>());
        _plain = BrowserRequests.Get(BrowserRequests.OtherCookies);
        _doubleSlash = BrowserRequests.Get(BrowserRequests.OtherCookies);
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    [Benchmark(Baseline = true)]
    public Task PlainPath() => _guard.InvokeAsync(_plain);

    /// <summary><c>/api//orders/1234</c>, merged to <c>/api/orders/1234</c> (the path is set back each time).</summary>
    [Benchmark]
    public Task DoubleSlashPath()
    {
        _doubleSlash.Request.Path = "/api//orders/1234";
        return _guard.InvokeAsync(_doubleSlash);
    }
}
