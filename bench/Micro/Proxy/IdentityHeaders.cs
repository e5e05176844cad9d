using SessionGateway.Authentication;
using SessionGateway.Micro.Infrastructure;
using SessionGateway.Proxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Micro.Proxy;

/// <summary>
/// <see cref="IdentityHeaderTransform"/> as YARP runs it: a fresh <see cref="HttpRequestMessage"/>, the request
/// headers copied by YARP's own <see cref="HttpTransformer.Default"/> (which is what the baseline measures alone),
/// then the transform with a new <see cref="RequestTransformContext"/>. The request is a browser GET with a dozen
/// headers and six cookies; the signed-in one also has three spoofed identity headers and a valid session with two
/// claim headers, the anonymous one neither.
/// </summary>
[MemoryDiagnoser]
public class IdentityHeaders
{
    private const string Destination = "http://127.0.0.1:5000";

    private BenchGateway _gateway = null!;
    private IdentityHeaderTransform _transform = null!;
    private HttpContext _signedIn = null!;
    private HttpContext _anonymous = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        _transform = _gateway.Services.GetRequiredService<IdentityHeaderTransform>();
        var session = _gateway.CreateSession();
        var token = _gateway.Engine.VerifyAccessToken(session.AccessToken).Token
            ?? throw new InvalidOperationException("Set-up: the session's token does not verify.");

        _signedIn = BrowserRequests.Get(BrowserRequests.CookieHeader(session.AccessToken), spoofed: true);
        _signedIn.Features.Set(new SessionFeature(token, BearerIsOurs: false));
        _anonymous = BrowserRequests.Get(BrowserRequests.OtherCookies);

        using var check = Forward(_signedIn, transform: true).AsTask().GetAwaiter().GetResult();
        if (check.Headers.Contains("X_User_Id") || !check.Headers.TryGetValues("X-User-Role", out var role) || role.Single() != "admin"
            || !check.Headers.TryGetValues("Cookie", out var cookies) || cookies.Single().Contains("sAccessToken", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Set-up: the transform did not strip, set and rewrite as intended.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>What YARP does anyway: a request message and the header copy, without our transform.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> CopyHeadersOnly()
    {
        using var request = await Forward(_signedIn, transform: false);
        return request.Headers.NonValidated.Count;
    }

    /// <summary>Signed in: strip three spoofed headers, set user id, handle and two claims, rewrite the Cookie header.</summary>
    [Benchmark]
    public async Task<int> SignedInRequest()
    {
        using var request = await Forward(_signedIn, transform: true);
        return request.Headers.NonValidated.Count;
    }

    /// <summary>Anonymous: only the checks (no identity headers sent, no session, no token cookie).</summary>
    [Benchmark]
    public async Task<int> AnonymousRequest()
    {
        using var request = await Forward(_anonymous, transform: true);
        return request.Headers.NonValidated.Count;
    }

    private async ValueTask<HttpRequestMessage> Forward(HttpContext context, bool transform)
    {
        var request = new HttpRequestMessage();
        await HttpTransformer.Default.TransformRequestAsync(context, request, Destination, CancellationToken.None);
        if (transform)
        {
            await _transform.ApplyAsync(new RequestTransformContext
            {
                HttpContext = context,
                ProxyRequest = request,
                Path = context.Request.Path,
                DestinationPrefix = Destination,
                HeadersCopied = true,
                CancellationToken = CancellationToken.None,
            });
        }

        return request;
    }
}
