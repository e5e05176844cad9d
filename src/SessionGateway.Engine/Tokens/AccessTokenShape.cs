using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SessionGateway.Tokens;

/// <summary>
/// Tells, without verifying it, whether a JWT claims to be one of ours: its payload names our issuer and a
/// session handle. Used only to decide who answers a token that failed verification (the gateway with "try
/// refresh token", or the upstream it may belong to); it never grants anything.
/// </summary>
internal static class AccessTokenShape
{
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    // base64url of {"iss":"","sessionHandle":""}: no payload of ours is shorter.
    private const int MinPayloadLength = 39;

    // The session handle's length in a refresh token: 16 random bytes, base64url.
    private static readonly int HandleTextLength = Base64Url.GetEncodedLength(RefreshTokenCodec.HandleBytes);

    /// <summary>
    /// True when <paramref name="text"/> holds, anywhere and whatever is joined to it, something shaped like one of
    /// our tokens: within each run of token characters (base64url and dots), a dot-separated segment that is an
    /// access-token payload of ours (see <see cref="SegmentClaimsIssuer"/>), or <c>v1</c> (also ending a longer
    /// segment) followed by a dot and a segment as long as a session handle (a refresh token). Shapes only, never a
    /// signature or MAC check, so the cost is a base64url decode per candidate segment; <paramref name="budget"/>
    /// counts the candidates (segments long enough to be a payload) the caller still allows, and when it runs out
    /// the answer is true: a header too stuffed to examine is treated as carrying a token (fail closed).
    /// </summary>
    public static bool ContainsOurToken(ReadOnlySpan<char> text, string issuer, ref int budget)
    {
        var rest = text;
        while (!rest.IsEmpty)
        {
            var start = rest.IndexOfAny(TokenChars);
            if (start < 0)
            {
                return false;
            }

            rest = rest[start..];
            var end = rest.IndexOfAnyExcept(TokenChars);
            var run = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[end..];
            if (RunHoldsOurToken(run, issuer, ref budget))
            {
                return true;
            }
        }

        return false;
    }

    private static bool RunHoldsOurToken(ReadOnlySpan<char> run, string issuer, ref int budget)
    {
        var previousEndsWithV1 = false;
        while (true)
        {
            var dot = run.IndexOf('.');
            var segment = dot < 0 ? run : run[..dot];
            if (previousEndsWithV1 && segment.Length == HandleTextLength)
            {
                return true;
            }

            if (segment.Length >= MinPayloadLength)
            {
                if (--budget < 0 || SegmentClaimsIssuer(segment, issuer))
                {
                    return true;
                }
            }

            if (dot < 0)
            {
                return false;
            }

            previousEndsWithV1 = segment.EndsWith("v1", StringComparison.Ordinal);
            run = run[(dot + 1)..];
        }
    }

    public static bool ClaimsIssuer(string token, string issuer)
    {
        if (token.Length > AccessTokenVerifier.MaxTokenLength)
        {
            return false;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        // A compact JWS has exactly three segments; a refresh token (four) or a JWE (five) is not one of ours.
        if (first <= 0 || second <= first + 1 || token.IndexOf('.', second + 1) >= 0)
        {
            return false;
        }

        return SegmentClaimsIssuer(token.AsSpan(first + 1, second - first - 1), issuer);
    }

    /// <summary>
    /// True when one dot-free base64url segment decodes to a JSON object that names <paramref name="issuer"/> as
    /// <c>iss</c> and has a <c>sessionHandle</c>: the payload of one of our access tokens, wherever it sits.
    /// </summary>
    public static bool SegmentClaimsIssuer(ReadOnlySpan<char> payload, string issuer)
    {
        // The shortest payload naming an issuer and a handle is far longer; anything shorter is not one.
        if (payload.Length < MinPayloadLength || payload.Length > AccessTokenVerifier.MaxTokenLength)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(payload.Length));
        try
        {
            if (Base64Url.DecodeFromChars(payload, buffer, out _, out var written) != OperationStatus.Done)
            {
                return false;
            }

            // Anything but a JSON object is not ours; checked first because the JSON reader throws on garbage, and
            // an exception per request with a foreign bearer token would be a cost any client could impose.
            var json = buffer.AsSpan(0, written).TrimStart(" \t\r\n"u8);
            if (json.IsEmpty || json[0] != (byte)'{')
            {
                return false;
            }

            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            bool issuerMatches = false, hasHandle = false;
            var expectedIssuer = Encoding.UTF8.GetBytes(issuer);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("iss"u8))
                {
                    issuerMatches = reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(expectedIssuer);
                }
                else if (reader.ValueTextEquals("sessionHandle"u8))
                {
                    hasHandle = reader.Read() && reader.TokenType == JsonTokenType.String;
                }
                else
                {
                    reader.Read();
                }

                reader.Skip();
            }

            return issuerMatches && hasHandle;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
