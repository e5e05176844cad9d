using System.Security.Cryptography;
using SessionGateway.Keys;
using SessionGateway.Micro.Infrastructure;
using SessionGateway.Sessions;
using SessionGateway.Tokens;
using SessionGateway.Transport;

namespace SessionGateway.Micro.Refresh;

/// <summary>
/// The parts of one refresh that need no store, each with the engine's own types: checking the presented refresh
/// token (<see cref="RefreshTokenCodec"/>), hashing it and its successor (<see cref="TokenHashing"/>), deriving the
/// successor, minting the access token (<see cref="AccessTokenIssuer"/>, one ES256 signature with the key ring's
/// current key) and writing the answer (<see cref="SessionResponseWriter"/>); and all of them in the order
/// <c>SessionEngine.RefreshAsync</c> runs them. The writer ones include a new <see cref="DefaultHttpContext"/> per
/// call, as the baseline does alone.
/// </summary>
[MemoryDiagnoser]
public class RefreshCpu
{
    private BenchGateway _gateway = null!;
    private RefreshTokenCodec _codec = null!;
    private AccessTokenIssuer _issuer = null!;
    private SessionResponseWriter _writer = null!;
    private IssuedSession _session = null!;
    private string _refreshToken = null!;
    private string _claimsJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        var services = _gateway.Services;
        _codec = new RefreshTokenCodec(RandomNumberGenerator.GetBytes(32));
        _issuer = new AccessTokenIssuer(services.GetRequiredService<SigningKeyRing>(), services.GetRequiredService<SessionEngineOptions>());
        _writer = services.GetRequiredService<SessionResponseWriter>();
        _session = _gateway.CreateSession(withAntiCsrfToken: false);
        _refreshToken = _codec.CreateInitial(_session.SessionHandle);
        _claimsJson = """{"role":"admin","tenant":"acme-corporation","email":"ada.lovelace@example.com"}""";
        if (!_codec.TryParse(_refreshToken, out var handle) || handle != _session.SessionHandle)
        {
            throw new InvalidOperationException("Set-up: the refresh token does not parse.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>Shape, canonical base64url and the HMAC-SHA256 check of the presented token.</summary>
    [Benchmark]
    public bool ParseRefreshToken() => _codec.TryParse(_refreshToken, out _);

    /// <summary>hash2 = hex(sha256(hex(sha256(token)))): what the store compares.</summary>
    [Benchmark]
    public string HashRefreshToken() => TokenHashing.Hash2(_refreshToken);

    /// <summary>The deterministic next refresh token (HMAC of the presented one, then its own MAC).</summary>
    [Benchmark]
    public string DeriveNextRefreshToken() => _codec.DeriveNext(_refreshToken, _session.SessionHandle);

    /// <summary>Header and payload JSON, base64url, one ES256 signature.</summary>
    [Benchmark]
    public string MintAccessToken() =>
        _issuer.Mint(_session.UserId, _session.SessionHandle, TokenHashing.Hash1(_refreshToken), null, _claimsJson, BenchGateway.Now).Token;

    /// <summary>The <c>front-token</c> header value (base64 of a JSON wrapping the payload).</summary>
    [Benchmark]
    public string FrontToken() => SessionResponseWriter.FrontToken(_session);

    /// <summary>The reference for the writer benchmarks: an empty request context.</summary>
    [Benchmark(Baseline = true)]
    public HttpContext NewHttpContext() => new DefaultHttpContext();

    /// <summary>Two Set-Cookie headers, front-token, Cache-Control, the exposed-headers list (cookie mode).</summary>
    [Benchmark]
    public HttpContext WriteSessionCookieMode()
    {
        var context = new DefaultHttpContext();
        _writer.WriteSession(context, _session, TokenTransfer.Cookie);
        return context;
    }

    /// <summary>The same in header mode (st-access-token, st-refresh-token headers).</summary>
    [Benchmark]
    public HttpContext WriteSessionHeaderMode()
    {
        var context = new DefaultHttpContext();
        _writer.WriteSession(context, _session, TokenTransfer.Header);
        return context;
    }

    /// <summary>
    /// Everything a successful rotation computes outside the store, in the engine's order: parse, hash the presented
    /// token, derive and hash the next, mint the access token (with hash1 of the next), write the cookie-mode answer.
    /// </summary>
    [Benchmark]
    public HttpContext RotationWithoutStore()
    {
        if (!_codec.TryParse(_refreshToken, out var handle))
        {
            throw new InvalidOperationException("the refresh token does not parse");
        }

        _ = TokenHashing.Hash2(_refreshToken);
        var next = _codec.DeriveNext(_refreshToken, handle);
        _ = TokenHashing.Hash2(next);
        var minted = _issuer.Mint(_session.UserId, handle, TokenHashing.Hash1(next), null, _claimsJson, BenchGateway.Now);
        var issued = new IssuedSession(handle, _session.UserId, minted.Token, minted.PayloadJson, minted.Expires, next, _session.RefreshTokenExpires, null);
        var context = new DefaultHttpContext();
        _writer.WriteSession(context, issued, TokenTransfer.Cookie);
        return context;
    }
}
