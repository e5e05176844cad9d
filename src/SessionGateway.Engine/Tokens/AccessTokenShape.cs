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
        if (first <= 0 || second <= first + 1)
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

            var reader = new Utf8JsonReader(buffer.AsSpan(0, written));
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
