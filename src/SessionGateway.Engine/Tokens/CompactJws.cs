using System.Buffers;
using System.Buffers.Text;
using System.Text;
using SessionGateway.Keys;

namespace SessionGateway.Tokens;

/// <summary>Assembles, signs and encodes a compact JWS in one pooled buffer.</summary>
internal static class CompactJws
{
    /// <summary>
    /// <paramref name="header"/> (already base64url, one of the key's cached headers) + <c>.</c> + base64url(<paramref name="payload"/>),
    /// signed with <paramref name="key"/>. The buffer is cleared before it goes back to the pool: it held a bearer credential.
    /// </summary>
    public static string Sign(SigningKey key, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
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
            return Encoding.ASCII.GetString(token[..(signingInputLength + 1 + signatureLength)]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
