using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;

namespace SessionGateway.Tokens;

/// <summary>
/// Local access-token verification: no store read. The header's <c>alg</c> must equal the algorithm of
/// the key named by <c>kid</c> (so <c>none</c> and HS256-with-the-public-key fail), the signature must
/// verify, <c>iss</c> must be ours, <c>exp</c> is enforced to the second with at most
/// <see cref="SessionEngineOptions.ClockSkew"/> of tolerance, and <c>iat</c>/<c>nbf</c> may not lie in the
/// future, and <c>exp - iat</c> may not exceed <see cref="SessionEngineOptions.AccessTokenLifetime"/> (plus the
/// skew). Every base64url segment must be spelled canonically and an ES256 signature must be low-S, so a token
/// has exactly one spelling that verifies. Any malformed input yields <see cref="AccessTokenStatus.Invalid"/>;
/// nothing throws.
/// </summary>
internal sealed class AccessTokenVerifier
{
    // Our tokens are well under 2 KB even with generous custom claims; anything far larger is not ours.
    internal const int MaxTokenLength = 16 * 1024;

    private readonly SigningKeyRing _keyRing;
    private readonly RevokedSessionSet _revoked;
    private readonly VerifiedTokenCache _cache;
    private readonly SessionEngineOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly EngineTelemetry _telemetry;

    public AccessTokenVerifier(
        SigningKeyRing keyRing,
        RevokedSessionSet revoked,
        VerifiedTokenCache cache,
        SessionEngineOptions options,
        TimeProvider timeProvider,
        EngineTelemetry telemetry)
    {
        _telemetry = telemetry;
        _keyRing = keyRing;
        _revoked = revoked;
        _cache = cache;
        _options = options;
        _timeProvider = timeProvider;
        _keyRing.KeysRemoved += _cache.Clear;
    }

    public AccessTokenCheck Verify(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return AccessTokenCheck.Invalid;
        }

        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGet(token, out var cached))
        {
            _telemetry.VerifyCacheHits.Add(1);
            return Check(cached, now);
        }

        return VerifyMiss(token, now);
    }

    /// <summary>
    /// Verifies a token given as characters (for example straight from a cookie header): a cache hit costs no
    /// allocation; a miss verifies a string copy and caches it.
    /// </summary>
    public AccessTokenCheck Verify(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty || token.Length > MaxTokenLength)
        {
            return AccessTokenCheck.Invalid;
        }

        if (_cache.TryGet(token, out var verified))
        {
            _telemetry.VerifyCacheHits.Add(1);
            return Check(verified, _timeProvider.GetUtcNow());
        }

        return VerifyMiss(token.ToString(), _timeProvider.GetUtcNow());
    }

    /// <summary>A token the cache did not hold: its signature and claims are checked, and it is cached when valid.</summary>
    private AccessTokenCheck VerifyMiss(string token, DateTimeOffset now)
    {
        _telemetry.VerifyCacheMisses.Add(1);
        var verified = VerifyUncached(token, now);
        if (verified is null)
        {
            return AccessTokenCheck.Invalid;
        }

        // Only a token that passes in full is remembered: an expired, revoked or retired-key token is refused again
        // at the cost of one verification, and never takes cache space from the tokens in use.
        var check = Check(verified, now);
        if (check.IsValid)
        {
            _cache.Add(token, verified);
        }

        return check;
    }

    /// <summary>What is checked on every use, cached or not: expiry, the key's lifetime, revocation.</summary>
    private AccessTokenCheck Check(VerifiedAccessToken verified, DateTimeOffset now)
    {
        if (now >= verified.Expires + SessionEngineOptions.ClockSkew)
        {
            return AccessTokenCheck.Expired;
        }

        if (verified.Key is { } key && now >= key.VerifyUntil)
        {
            return AccessTokenCheck.Invalid;
        }

        if (_revoked.IsRevoked(verified.SessionHandle, now))
        {
            return AccessTokenCheck.Invalid;
        }

        return new AccessTokenCheck(AccessTokenStatus.Valid, verified);
    }

    private VerifiedAccessToken? VerifyUncached(string token, DateTimeOffset now)
    {
        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        if (firstDot <= 0)
        {
            return null;
        }

        var secondDot = token.IndexOf('.', firstDot + 1);
        if (secondDot <= firstDot + 1 || secondDot == token.Length - 1 || token.IndexOf('.', secondDot + 1) >= 0)
        {
            return null;
        }

        byte[]? rented = null;
        try
        {
            var span = token.AsSpan();
            rented = ArrayPool<byte>.Shared.Rent(token.Length);
            var buffer = rented.AsSpan();

            if (!TryDecode(span[..firstDot], buffer, out var headerLength)
                || !TryReadHeader(buffer[..headerLength], out var algorithm, out var keyId)
                || !_keyRing.TryGetVerificationKey(keyId, now, out var key)
                || !string.Equals(algorithm, key.AlgorithmName, StringComparison.Ordinal))
            {
                return null;
            }

            if (!TryDecode(span[(secondDot + 1)..], buffer, out var signatureLength))
            {
                return null;
            }

            var signingInput = span[..secondDot];
            foreach (var c in signingInput)
            {
                if (c > 0x7F)
                {
                    return null;
                }
            }

            var inputBytes = buffer[signatureLength..];
            var inputLength = Encoding.ASCII.GetBytes(signingInput, inputBytes);
            if (!key.Verify(inputBytes[..inputLength], buffer[..signatureLength]))
            {
                return null;
            }

            if (!TryDecode(span[(firstDot + 1)..secondDot], buffer, out var payloadLength))
            {
                return null;
            }

            return ReadPayload(buffer[..payloadLength], now, key);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or CryptographicException
            or ArgumentException or InvalidOperationException or OverflowException)
        {
            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written) =>
        CanonicalBase64Url.TryDecode(text, destination, out written) && written > 0;

    private static bool TryReadHeader(ReadOnlySpan<byte> header, out string algorithm, out string keyId)
    {
        algorithm = string.Empty;
        keyId = string.Empty;
        var reader = new Utf8JsonReader(header);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("alg"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                algorithm = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("kid"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                keyId = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("typ"u8))
            {
                // Explicit typing (RFC 8725 section 3.11): ours say JWT; a session assertion, signed with the same keys,
                // says session-assertion+jwt and is never an access token, whatever its payload.
                if (!reader.Read() || reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals("JWT"u8))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("crit"u8))
            {
                // We never emit critical extensions, so a token demanding one is not ours.
                return false;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && algorithm.Length > 0 && keyId.Length > 0;
    }

    private VerifiedAccessToken? ReadPayload(ReadOnlySpan<byte> payload, DateTimeOffset now, SigningKey key)
    {
        var payloadJson = Encoding.UTF8.GetString(payload);
        using var document = JsonDocument.Parse(payloadJson);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? userId = null, sessionHandle = null, hash1 = null, antiCsrf = null, issuer = null;
        long? issuedAt = null, expires = null, notBefore = null;
        var custom = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var claim in root.EnumerateObject())
        {
            var value = claim.Value;
            switch (claim.Name)
            {
                case ReservedClaims.Subject:
                    userId = value.GetString();
                    break;
                case ReservedClaims.SessionHandle:
                    sessionHandle = value.GetString();
                    break;
                case ReservedClaims.RefreshTokenHash1:
                    hash1 = value.GetString();
                    break;
                case ReservedClaims.AntiCsrfToken:
                    antiCsrf = value.ValueKind == JsonValueKind.Null ? null : value.GetString();
                    break;
                case ReservedClaims.Issuer:
                    issuer = value.GetString();
                    break;
                case ReservedClaims.IssuedAt:
                    issuedAt = value.GetInt64();
                    break;
                case ReservedClaims.Expires:
                    expires = value.GetInt64();
                    break;
                case ReservedClaims.NotBefore:
                    notBefore = value.GetInt64();
                    break;
                case ReservedClaims.ParentRefreshTokenHash1:
                    break;
                default:
                    custom[claim.Name] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                    break;
            }
        }

        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(sessionHandle) || hash1 is null
            || issuedAt is null || expires is null
            || !string.Equals(issuer, _options.Issuer, StringComparison.Ordinal))
        {
            return null;
        }

        var latestAcceptable = now + SessionEngineOptions.ClockSkew;
        var issued = DateTimeOffset.FromUnixTimeSeconds(issuedAt.Value);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expires.Value);
        if (issued > latestAcceptable
            || (notBefore is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf) > latestAcceptable))
        {
            return null;
        }

        // We never mint a token that lives longer than the configured lifetime, so one that claims to was minted by
        // someone else with our key (read from a copy of the store, say) and would otherwise be good for as long as
        // that key verifies. Tokens minted under a longer lifetime before a configuration change fall here too:
        // they get "try refresh token", and the refresh mints one under the current lifetime.
        if (expiresAt - issued > _options.AccessTokenLifetime + SessionEngineOptions.ClockSkew)
        {
            return null;
        }

        return new VerifiedAccessToken(
            userId,
            sessionHandle,
            issued,
            expiresAt,
            antiCsrf,
            hash1,
            payloadJson,
            custom)
        {
            Key = key,
        };
    }
}
