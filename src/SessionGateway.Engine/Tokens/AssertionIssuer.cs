using System.Buffers;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tokens;

/// <summary>
/// Mints session assertions: short-lived compact JWS that tell an upstream who the gateway let through, signed with
/// the key ring's current signer (the keys of the JWKS, as access tokens). The header names
/// <c>typ: session-assertion+jwt</c> (<see cref="SigningKey.AssertionJwsHeader"/>, encoded once per key), so neither
/// kind of token can pass for the other with a verifier that checks it. The payload is <c>iss</c>, <c>aud</c>,
/// <c>sub</c>, <c>sid</c>, the chosen session claims, <c>iat</c> and <c>exp</c>, where <c>exp</c> is never past the
/// access token's. Written with the per-thread <see cref="JwsPayloadWriter"/> and signed in a pooled buffer like an
/// access token.
/// </summary>
internal sealed class AssertionIssuer(SigningKeyRing keyRing, SessionEngineOptions options)
{
    public const string Audience = "aud";
    public const string SessionId = "sid";
    public const string JwtId = "jti";

    // The assertion's own claims (and the registered names a verifier may act on): a session claim of the same name is
    // never copied over them.
    private static readonly HashSet<string> ReservedNames = new(StringComparer.Ordinal)
    {
        ReservedClaims.Issuer, Audience, ReservedClaims.Subject, SessionId, ReservedClaims.IssuedAt, ReservedClaims.Expires,
        ReservedClaims.NotBefore, JwtId,
    };

    /// <summary>True for the claim names an assertion sets itself; a session claim with one of them is not copied.</summary>
    public static bool IsReserved(string name) => ReservedNames.Contains(name);

    /// <summary>
    /// An assertion for <paramref name="token"/>'s session, for <paramref name="audience"/>, issued at
    /// <paramref name="now"/> (whole seconds), expiring after <paramref name="lifetime"/> or with the access token,
    /// whichever comes first. The session claims named in <paramref name="claims"/> are copied as the access token
    /// carries them (strings as strings, other JSON values as they are).
    /// </summary>
    public MintedAssertion Mint(VerifiedAccessToken token, string audience, IReadOnlySet<string> claims, TimeSpan lifetime, DateTimeOffset now)
    {
        var key = keyRing.GetSigner(now)
            ?? throw new InvalidOperationException("No signing key is loaded; call SessionEngine.InitializeAsync at startup.");

        var issuedAt = now.ToUnixTimeSeconds();
        var expires = Math.Min(issuedAt + (long)lifetime.TotalSeconds, token.Expires.ToUnixTimeSeconds());

        var payloadWriter = JwsPayloadWriter.Current;
        var writer = payloadWriter.Start();
        writer.WriteStartObject();
        writer.WriteString(ReservedClaims.Issuer, options.Issuer);
        writer.WriteString(Audience, audience);
        writer.WriteString(ReservedClaims.Subject, token.UserId);
        writer.WriteString(SessionId, token.SessionHandle);
        if (claims.Count > 0)
        {
            CopyClaims(writer, token.PayloadJson, claims);
        }

        writer.WriteNumber(ReservedClaims.IssuedAt, issuedAt);
        writer.WriteNumber(ReservedClaims.Expires, expires);
        writer.WriteEndObject();
        writer.Flush();

        return new MintedAssertion(
            CompactJws.Sign(key, key.AssertionJwsHeader.Span, payloadWriter.Written),
            DateTimeOffset.FromUnixTimeSeconds(issuedAt),
            DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    /// <summary>
    /// Copies the wanted custom claims out of the access token's payload text, each value exactly as the token has it.
    /// The payload was verified (and written by our own issuer), so it is one JSON object; a name is copied once.
    /// </summary>
    private static void CopyClaims(Utf8JsonWriter writer, string payloadJson, IReadOnlySet<string> claims)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(payloadJson.Length);
        byte[]? rented = null;
        var utf8 = maxBytes <= 2048 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        HashSet<string>? written = null;
        try
        {
            var json = utf8[..Encoding.UTF8.GetBytes(payloadJson, utf8)];
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (claims.Contains(name) && !ReservedClaims.IsReserved(name) && !IsReserved(name) && (written ??= new(StringComparer.Ordinal)).Add(name))
                {
                    writer.WritePropertyName(name);
                    // The reader has checked the value's syntax while skipping it.
                    writer.WriteRawValue(json[start..(int)reader.BytesConsumed], skipInputValidation: true);
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
