using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.Admin;

/// <summary>
/// The configured admin API key, kept only as its SHA-256 hash. A presented key is hashed too and the two hashes are
/// compared with <see cref="CryptographicOperations.FixedTimeEquals"/>: the time taken says nothing about how much of a
/// guess was right, not even its length (hashes are always 32 bytes).
/// </summary>
internal sealed class AdminApiKey
{
    private readonly byte[] _hash;

    public AdminApiKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>True when <paramref name="presented"/> is the key, exactly (case and every character).</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        // A header is bounded by Kestrel's limits (32 KiB for all headers by default), so this is bounded too.
        var bytes = new byte[Encoding.UTF8.GetByteCount(presented)];
        Encoding.UTF8.GetBytes(presented, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _hash);
    }

    // Nothing about the key in logs or debugger views.
    public override string ToString() => "(admin API key)";
}
