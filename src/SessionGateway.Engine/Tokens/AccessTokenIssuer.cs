using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tokens;

/// <summary>
/// Mints access tokens (compact JWS) with the key ring's current signer. The header is the signer's, encoded once
/// (<see cref="SigningKey.JwsHeader"/>); the payload is written with a JSON writer kept per thread, and the token is
/// assembled, signed and encoded in one pooled buffer, so a mint allocates little besides the token and payload text.
/// </summary>
internal sealed class AccessTokenIssuer(SigningKeyRing keyRing, SessionEngineOptions options)
{
    // Per thread: a mint never awaits, so nothing else runs on this thread while these are in use.
    [ThreadStatic]
    private static PayloadWriter? t_payloadWriter;

    public MintedAccessToken Mint(
        string userId,
        string sessionHandle,
        string refreshTokenHash1,
        string? antiCsrfToken,
        string customClaimsJson,
        DateTimeOffset now)
    {
        var key = keyRing.GetSigner(now)
            ?? throw new InvalidOperationException("No signing key is loaded; call SessionEngine.InitializeAsync at startup.");

        var issuedAt = now.ToUnixTimeSeconds();
        var expires = issuedAt + (long)options.AccessTokenLifetime.TotalSeconds;

        var payloadWriter = t_payloadWriter ??= new PayloadWriter();
        var writer = payloadWriter.Start();
        writer.WriteStartObject();
        writer.WriteString(ReservedClaims.Subject, userId);
        writer.WriteNumber(ReservedClaims.IssuedAt, issuedAt);
        writer.WriteNumber(ReservedClaims.Expires, expires);
        writer.WriteString(ReservedClaims.SessionHandle, sessionHandle);
        writer.WriteString(ReservedClaims.RefreshTokenHash1, refreshTokenHash1);
        writer.WriteNull(ReservedClaims.ParentRefreshTokenHash1);
        if (antiCsrfToken is null)
        {
            writer.WriteNull(ReservedClaims.AntiCsrfToken);
        }
        else
        {
            writer.WriteString(ReservedClaims.AntiCsrfToken, antiCsrfToken);
        }

        writer.WriteString(ReservedClaims.Issuer, options.Issuer);
        WriteCustomClaims(writer, customClaimsJson);
        writer.WriteEndObject();
        writer.Flush();
        var payload = payloadWriter.Written;

        var header = key.JwsHeader.Span;
        var signingInputLength = header.Length + 1 + Base64Url.GetEncodedLength(payload.Length);
        var length = signingInputLength + 1 + Base64Url.GetEncodedLength(key.MaxSignatureSize);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var token = buffer.AsSpan();
            header.CopyTo(token);
            token[header.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(payload, token[(header.Length + 1)..], out _, out _);
            Span<byte> signature = stackalloc byte[key.MaxSignatureSize];
            var signed = key.Sign(token[..signingInputLength], signature);
            token[signingInputLength] = (byte)'.';
            Base64Url.EncodeToUtf8(signature[..signed], token[(signingInputLength + 1)..], out _, out var signatureLength);
            return new MintedAccessToken(
                Encoding.ASCII.GetString(token[..(signingInputLength + 1 + signatureLength)]),
                Encoding.UTF8.GetString(payload),
                DateTimeOffset.FromUnixTimeSeconds(expires));
        }
        finally
        {
            // The buffer held a bearer token: cleared before another renter sees it.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Copies the stored custom claims after the reserved ones, each value as stored (it was written by the same JSON
    /// writer at creation). Reserved names are dropped again, so a hand-edited row cannot override them; a row that is
    /// not a JSON object throws, as parsing it did before.
    /// </summary>
    private static void WriteCustomClaims(Utf8JsonWriter writer, string customClaimsJson)
    {
        if (customClaimsJson is "{}")
        {
            return;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(customClaimsJson.Length);
        byte[]? rented = null;
        var utf8 = maxBytes <= 1024 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var json = utf8[..Encoding.UTF8.GetBytes(customClaimsJson, utf8)];
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("Stored custom claims are not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (!ReservedClaims.IsReserved(name))
                {
                    writer.WritePropertyName(name);
                    // The reader has checked the value's syntax while skipping it.
                    writer.WriteRawValue(json[start..(int)reader.BytesConsumed], skipInputValidation: true);
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new JsonException("Stored custom claims are not a JSON object.");
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

    /// <summary>A JSON writer and its buffer, reset for each payload; lives as long as its thread.</summary>
    private sealed class PayloadWriter : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(512);
        private readonly Utf8JsonWriter _writer;

        public PayloadWriter() => _writer = new Utf8JsonWriter(_buffer);

        public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

        public Utf8JsonWriter Start()
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            return _writer;
        }

        public void Dispose() => _writer.Dispose();
    }
}
