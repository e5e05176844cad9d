using SessionGateway.Assertions;
using SessionGateway.Micro.Infrastructure;
using SessionGateway.Tokens;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Micro.Assertions;

/// <summary>
/// <see cref="SessionAssertions"/> as an opted-in route pays for it on every request: the audience of the route and the
/// assertion of a token seen before (a cache hit, which should allocate nothing and sign nothing), against what a miss
/// costs (<see cref="AssertionIssuer.Mint"/>: JSON, the claims copied, one ES256 signature).
/// </summary>
[MemoryDiagnoser]
public class AssertionLookup
{
    private BenchGateway _gateway = null!;
    private SessionAssertions _assertions = null!;
    private AssertionIssuer _issuer = null!;
    private VerifiedAccessToken _token = null!;
    private RouteConfig _route = null!;
    private string _audience = null!;
    private HashSet<string> _claims = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        _assertions = _gateway.Services.GetRequiredService<SessionAssertions>();
        _issuer = _gateway.Services.GetRequiredService<AssertionIssuer>();
        var session = _gateway.CreateSession();
        _token = _gateway.Engine.VerifyAccessToken(session.AccessToken).Token
            ?? throw new InvalidOperationException("Set-up: the session's token does not verify.");
        _route = new RouteConfig
        {
            RouteId = "orders",
            ClusterId = "orders",
            Metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["SessionAssertion"] = "true" },
        };
        _audience = _assertions.AudienceFor(_route) ?? throw new InvalidOperationException("Set-up: the route gets no assertion.");
        _claims = ["role", "tenant"];

        // The clock is stopped: after the first call, every call is a hit.
        var first = _assertions.Get(_token, _audience);
        if (!ReferenceEquals(first, _assertions.Get(_token, _audience)))
        {
            throw new InvalidOperationException("Set-up: the second lookup was not a cache hit.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>A token and audience seen before: what every request on an opted-in route pays.</summary>
    [Benchmark(Baseline = true)]
    public int CacheHit() => _assertions.Get(_token, _audience).Length;

    /// <summary>The route's audience from its metadata (what forward-auth asks per request).</summary>
    [Benchmark]
    public int AudienceOfRoute() => _assertions.AudienceFor(_route)!.Length;

    /// <summary>A new assertion: what a miss costs, once per token and audience per renewal.</summary>
    [Benchmark]
    public int Mint() => _issuer.Mint(_token, _audience, _claims, TimeSpan.FromSeconds(60), BenchGateway.Now).Token.Length;
}
