using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.Tokens;

/// <summary>
/// Refresh-token hashes. hash1 = hex(sha256(RT)) travels in access tokens (<c>refreshTokenHash1</c>);
/// hash2 = hex(sha256(hash1)) is what the store keeps, so a value seen in an access token is not a DB key.
/// </summary>
internal static class TokenHashing
{
    public static string Hash1(string refreshToken)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256(refreshToken, Encoding.UTF8, digest);
        return Convert.ToHexStringLower(digest);
    }

    public static string Hash2FromHash1(string hash1)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256(hash1, Encoding.ASCII, digest);
        return Convert.ToHexStringLower(digest);
    }

    public static string Hash2(string refreshToken)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256(refreshToken, Encoding.UTF8, digest);
        Span<byte> hash1 = stackalloc byte[SHA256.HashSizeInBytes * 2];
        for (var i = 0; i < digest.Length; i++)
        {
            // Lower-case hex, as Convert.ToHexStringLower writes it.
            hash1[2 * i] = HexDigits[digest[i] >> 4];
            hash1[(2 * i) + 1] = HexDigits[digest[i] & 0xF];
        }

        SHA256.HashData(hash1, digest);
        return Convert.ToHexStringLower(digest);
    }

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>SHA-256 of <paramref name="text"/> in <paramref name="encoding"/>, without allocating for token-sized text.</summary>
    private static void Sha256(string text, Encoding encoding, Span<byte> digest)
    {
        var maxBytes = encoding.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var bytes = maxBytes <= 1024 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        SHA256.HashData(bytes[..encoding.GetBytes(text, bytes)], digest);
        if (rented is not null)
        {
            // It held a token.
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>Constant-time equality, so timing does not reveal how much of a stored hash matched.</summary>
    public static bool FixedTimeEquals(string? left, string? right)
    {
        if (left is null || right is null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            MemoryMarshal.AsBytes(left.AsSpan()),
            MemoryMarshal.AsBytes(right.AsSpan()));
    }
}
