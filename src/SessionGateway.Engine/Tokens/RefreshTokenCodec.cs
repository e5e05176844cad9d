using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.Tokens;

/// <summary>
/// Refresh token format: <c>v1.{sessionHandle}.{nonce}.{mac}</c> (base64url parts, 32-byte nonce and MAC).
/// The handle lets a reused old-generation token be recognised as theft of that session; the server MAC
/// (HMAC-SHA256 over <c>v1.{handle}.{nonce}</c>) makes a forged token that merely names a known handle
/// "unauthorised", so knowing a handle is not enough to get a session revoked. The first nonce is 256
/// random bits; each next token's nonce is HMAC(secret, presented token), so every refresh with the same
/// token returns the same next token and the lineage never forks.
/// </summary>
internal sealed class RefreshTokenCodec
{
    /// <summary>Random bytes in a session handle (base64url in the token).</summary>
    internal const int HandleBytes = 16;

    private const string Prefix = "v1.";
    private const int NonceBytes = 32;
    private const int MacBytes = 32;
    private const int MaxHandleLength = 64;
    private const int MaxTokenLength = 256;

    // HMAC states kept per thread and reset after each use: a one-shot HMAC sets up (and tears down) OpenSSL's state
    // every time, which costs about as much as the HMAC itself. There is one codec per engine, so the states belong to
    // the codec that last ran on the thread.
    [ThreadStatic]
    private static HmacStates? t_states;

    private readonly byte[] _macKey;
    private readonly byte[] _nextKey;

    public RefreshTokenCodec(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("The refresh-token secret must be at least 32 bytes.", nameof(secret));
        }

        // Separate subkeys for the two uses, so a MAC can never double as a next nonce.
        _macKey = HMACSHA256.HashData(secret, "refresh-token-mac"u8);
        _nextKey = HMACSHA256.HashData(secret, "refresh-token-next"u8);
    }

    private HmacStates States()
    {
        var states = t_states;
        if (states is null || !ReferenceEquals(states.Owner, this))
        {
            states?.Dispose();
            t_states = states = new HmacStates(this);
        }

        return states;
    }

    private static void Hmac(IncrementalHash hmac, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        hmac.AppendData(data);
        hmac.GetHashAndReset(mac);
    }

    public string CreateInitial(string sessionHandle)
    {
        Span<byte> nonce = stackalloc byte[NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        return Format(sessionHandle, nonce);
    }

    /// <summary>The deterministic successor of a token that <see cref="TryParse"/> accepted.</summary>
    public string DeriveNext(string refreshToken, string sessionHandle)
    {
        // An accepted token is at most MaxTokenLength ASCII characters.
        Span<byte> token = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxTokenLength)];
        Span<byte> nonce = stackalloc byte[NonceBytes];
        Hmac(States().Next, token[..Encoding.UTF8.GetBytes(refreshToken, token)], nonce);
        return Format(sessionHandle, nonce);
    }

    /// <summary>Checks shape and MAC; returns the session handle the token names.</summary>
    public bool TryParse(string? refreshToken, out string sessionHandle)
    {
        sessionHandle = string.Empty;
        if (refreshToken is null || refreshToken.Length > MaxTokenLength || !refreshToken.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = refreshToken.AsSpan(Prefix.Length);
        var firstDot = rest.IndexOf('.');
        if (firstDot <= 0 || firstDot > MaxHandleLength)
        {
            return false;
        }

        var handle = rest[..firstDot];
        var afterHandle = rest[(firstDot + 1)..];
        var secondDot = afterHandle.IndexOf('.');
        if (secondDot <= 0)
        {
            return false;
        }

        var nonceText = afterHandle[..secondDot];
        var macText = afterHandle[(secondDot + 1)..];
        // The MAC covers the handle and nonce as text, but not the MAC's own spelling: its last character has two
        // spare bits. The framework's decoder refuses them set today; the canonical check does not depend on that.
        if (!IsBase64UrlText(handle) || !CanonicalBase64Url.IsCanonical(nonceText) || !CanonicalBase64Url.IsCanonical(macText))
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceBytes + 4];
        Span<byte> mac = stackalloc byte[MacBytes + 4];
        if (Base64Url.DecodeFromChars(nonceText, nonce, out _, out var nonceLength) != System.Buffers.OperationStatus.Done
            || nonceLength != NonceBytes
            || Base64Url.DecodeFromChars(macText, mac, out _, out var macLength) != System.Buffers.OperationStatus.Done
            || macLength != MacBytes)
        {
            return false;
        }

        var bodyLength = Prefix.Length + firstDot + 1 + secondDot;
        Span<byte> expected = stackalloc byte[MacBytes];
        Span<byte> body = stackalloc byte[MaxTokenLength];
        Hmac(States().Mac, body[..Encoding.ASCII.GetBytes(refreshToken.AsSpan(0, bodyLength), body)], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac[..MacBytes]))
        {
            return false;
        }

        sessionHandle = handle.ToString();
        return true;
    }

    private string Format(string sessionHandle, ReadOnlySpan<byte> nonce)
    {
        // Handles are base64url text (ours, or checked by TryParse), so the token is ASCII: built as bytes, MAC'd in
        // place, and turned into a string once.
        Span<byte> token = stackalloc byte[Prefix.Length + MaxHandleLength + 2 + Base64Url.GetEncodedLength(NonceBytes) + Base64Url.GetEncodedLength(MacBytes)];
        var length = Encoding.ASCII.GetBytes(Prefix, token);
        length += Encoding.ASCII.GetBytes(sessionHandle, token[length..]);
        token[length++] = (byte)'.';
        Base64Url.EncodeToUtf8(nonce, token[length..], out _, out var written);
        length += written;
        Span<byte> mac = stackalloc byte[MacBytes];
        Hmac(States().Mac, token[..length], mac);
        token[length++] = (byte)'.';
        Base64Url.EncodeToUtf8(mac, token[length..], out _, out written);
        return Encoding.ASCII.GetString(token[..(length + written)]);
    }

    private static bool IsBase64UrlText(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One thread's HMAC states for one codec's two keys.</summary>
    private sealed class HmacStates(RefreshTokenCodec owner) : IDisposable
    {
        public RefreshTokenCodec Owner => owner;

        public IncrementalHash Mac { get; } = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, owner._macKey);

        public IncrementalHash Next { get; } = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, owner._nextKey);

        public void Dispose()
        {
            Mac.Dispose();
            Next.Dispose();
        }
    }
}
