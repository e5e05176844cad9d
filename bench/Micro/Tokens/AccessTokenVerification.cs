using SessionGateway.Micro.Infrastructure;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Micro.Tokens;

/// <summary>
/// <see cref="SessionEngine.VerifyAccessToken(string?)"/> (through <see cref="AccessTokenVerifier"/> and
/// <see cref="VerifiedTokenCache"/>): the cache hit every proxied request pays, against the full ES256 verification a
/// token pays once. The hit should allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class AccessTokenVerification
{
    private BenchGateway _gateway = null!;
    private SessionEngine _engine = null!;
    private string _token = null!;
    private string _cookieHeader = null!;
    private int _tokenStart;
    private string _revokedToken = null!;
    private string _tamperedToken = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        _engine = _gateway.Engine;
        _token = _gateway.CreateSession().AccessToken;
        _cookieHeader = BrowserRequests.CookieHeader(_token);
        _tokenStart = _cookieHeader.IndexOf(_token, StringComparison.Ordinal);
        Expect(_engine.VerifyAccessToken(_token), AccessTokenStatus.Valid, "a cache hit");

        // A revoked session's token goes through the whole verification (signature, payload) every time and is
        // refused only at the revocation check, so it is never cached: a miss on every call.
        var revoked = _gateway.CreateSession("user-revoked");
        _engine.RevokeAsync(revoked.SessionHandle, SessionEngine.RevokedAuditKind, CancellationToken.None).GetAwaiter().GetResult();
        _revokedToken = revoked.AccessToken;
        Expect(_engine.VerifyAccessToken(_revokedToken), AccessTokenStatus.Invalid, "a revoked token");

        // One character of the signature changed: what a forger's attempt costs (header parse and a failing verify).
        var last = _token[^2] == 'A' ? 'B' : 'A';
        _tamperedToken = string.Concat(_token.AsSpan(0, _token.Length - 2), new string(last, 1), _token.AsSpan(_token.Length - 1));
        Expect(_engine.VerifyAccessToken(_tamperedToken), AccessTokenStatus.Invalid, "a tampered token");
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>A token seen before, given as a string (the bearer-header path).</summary>
    [Benchmark(Baseline = true)]
    public int CacheHitString() => (int)_engine.VerifyAccessToken(_token).Status;

    /// <summary>A token seen before, read as a span straight out of the Cookie header (the cookie path).</summary>
    [Benchmark]
    public int CacheHitSpan() => (int)_engine.VerifyAccessToken(_cookieHeader.AsSpan(_tokenStart, _token.Length)).Status;

    /// <summary>Full verification: base64url, header JSON, ES256 signature, payload JSON; then refused as revoked.</summary>
    [Benchmark]
    public int MissFullEs256Verify() => (int)_engine.VerifyAccessToken(_revokedToken).Status;

    /// <summary>A token whose signature does not verify.</summary>
    [Benchmark]
    public int MissTamperedSignature() => (int)_engine.VerifyAccessToken(_tamperedToken).Status;

    private static void Expect(AccessTokenCheck check, AccessTokenStatus status, string what)
    {
        if (check.Status != status)
        {
            throw new InvalidOperationException($"Set-up: {what} verified as {check.Status}, expected {status}.");
        }
    }
}
