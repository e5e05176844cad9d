using SessionGateway.Endpoints;
using SessionGateway.Micro.Infrastructure;
using SessionGateway.Sessions;
using Microsoft.Net.Http.Headers;

namespace SessionGateway.Micro.Refresh;

/// <summary>
/// Whole refreshes INCLUDING THE STORE: one session whose refresh token is rotated on every call, each call
/// presenting the token the previous one got (as a client chaining its refreshes does), on a SQLite file in WAL mode
/// with <c>synchronous=NORMAL</c> (the gateway's settings) on this machine's disk. Once through
/// <see cref="SessionEngine.RefreshAsync(string?, CancellationToken)"/>, once through <see cref="RefreshEndpoint"/> (header mode, as
/// bench/refresh-rotations.sh drives it), which adds reading the request and writing the answer. Single-threaded:
/// a latency per rotation, not the throughput of several clients.
/// </summary>
[MemoryDiagnoser]
public class RefreshWithStore
{
    private BenchGateway _gateway = null!;
    private SessionEngine _engine = null!;
    private RefreshEndpoint _endpoint = null!;
    private string _engineToken = null!;
    private string _endpointToken = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        _engine = _gateway.Engine;
        _endpoint = _gateway.Services.GetRequiredService<RefreshEndpoint>();
        _engineToken = _gateway.CreateSession("user-engine").RefreshToken;
        _endpointToken = _gateway.CreateSession("user-endpoint").RefreshToken;
        if (!EngineRefresh().GetAwaiter().GetResult() || !EndpointRefresh().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("Set-up: the refresh did not succeed.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>The engine alone: the CPU parts plus one conditional UPDATE and its commit.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> EngineRefresh()
    {
        var outcome = await _engine.RefreshAsync(_engineToken, CancellationToken.None);
        if (outcome.Session is not { } session)
        {
            return false;
        }

        _engineToken = session.RefreshToken;
        return true;
    }

    /// <summary>POST /api/refresh with the token as a bearer header, answered in header mode.</summary>
    [Benchmark]
    public async Task<bool> EndpointRefresh()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/api/refresh";
        context.Request.Headers[HeaderNames.Authorization] = "Bearer " + _endpointToken;
        context.Request.Headers["st-auth-mode"] = "header";
        context.Request.Headers["rid"] = "session";
        await _endpoint.InvokeAsync(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            return false;
        }

        _endpointToken = context.Response.Headers["st-refresh-token"].ToString();
        return true;
    }
}
