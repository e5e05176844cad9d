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
    public static string Hash1(string refreshToken) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(refreshToken)));

    public static string Hash2FromHash1(string hash1) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(hash1)));

    public static string Hash2(string refreshToken) => Hash2FromHash1(Hash1(refreshToken));

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
