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

        var payload = token.AsSpan(first + 1, second - first - 1);
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
