using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.Keys;

/// <summary>
/// Encryption at rest of the secrets in the store (private signing keys, the refresh-token secret) with a
/// key-encryption key (KEK) the store never sees. AES-256-GCM, a random 12-byte nonce per value, and associated
/// data naming what the value is (for example <c>signing-key:{kid}:ES256</c>), so a ciphertext copied into another
/// row does not decrypt. The store stays dumb: it keeps whatever bytes it is given.
/// <para>
/// Sealed value: <c>"SGK" 0x01</c> (format marker and version), the KEK's 8-byte id, the nonce, the ciphertext and
/// the 16-byte tag: 40 bytes more than the plaintext. A clear (legacy) value is told apart without guessing: a
/// PKCS#8 key starts with <c>0x30</c> and the refresh-token secret is 32 bytes, shorter than any sealed value.
/// </para>
/// <para>
/// Integrity: with a KEK configured, a clear value is refused (the callers throw <see cref="KeyEncryptionException"/>),
/// because anyone who can write a row could otherwise plant their own signing key or refresh-token secret and have
/// it accepted (and even sealed). The one exception is an explicit migration, <see cref="MigrateClearValues"/>, at start.
/// </para>
/// <para>
/// Rotation: <see cref="Open"/> also accepts values sealed with a previous KEK and reports them as
/// <see cref="SealState.Previous"/>, so the caller re-seals them with the current one.
/// </para>
/// </summary>
internal sealed class KeyEncryption
{
    /// <summary>Length of a KEK: AES-256.</summary>
    public const int KeyLength = 32;

    private const int KeyIdLength = 8;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int HeaderLength = 4 + KeyIdLength;
    private const int Overhead = HeaderLength + NonceLength + TagLength;

    private static ReadOnlySpan<byte> Marker => "SGK\u0001"u8;

    private static readonly byte[] KeyIdLabel = Encoding.ASCII.GetBytes("SessionGateway key-encryption key id v1");

    private readonly Kek? _current;
    private readonly Kek[] _previous;

    /// <summary>No KEK: values are stored in clear (and the engine warns at every start).</summary>
    public static readonly KeyEncryption None = new(null, []);

    /// <param name="currentKey">The KEK that seals new values; null for none.</param>
    /// <param name="previousKeys">Older KEKs, only to open values sealed before a rotation.</param>
    /// <param name="migrateClearValues">
    /// Accept clear values at start and seal them (the one-time migration of a store written without a KEK).
    /// </param>
    public KeyEncryption(byte[]? currentKey, IReadOnlyList<byte[]> previousKeys, bool migrateClearValues = false)
    {
        ArgumentNullException.ThrowIfNull(previousKeys);
        if (currentKey is null && previousKeys.Count > 0)
        {
            throw new ArgumentException("Previous key-encryption keys need a current one.", nameof(previousKeys));
        }

        if (currentKey is null && migrateClearValues)
        {
            throw new ArgumentException("Migrating clear values needs a key-encryption key.", nameof(migrateClearValues));
        }

        MigrateClearValues = migrateClearValues;

        _current = currentKey is null ? null : new Kek(currentKey);
        var previous = new List<Kek>();
        foreach (var key in previousKeys)
        {
            var kek = new Kek(key);
            if (!kek.Id.AsSpan().SequenceEqual(_current!.Id))
            {
                previous.Add(kek);
            }
        }

        _previous = [.. previous];
    }

    public bool IsEnabled => _current is not null;

    /// <summary>
    /// True when clear values found at start are to be sealed (and the signing keys among them retired early); false
    /// when, with a KEK, they are refused. Never true without a KEK.
    /// </summary>
    public bool MigrateClearValues { get; }

    /// <summary>
    /// True when a value opened as <see cref="SealState.Clear"/> must be refused: a KEK is configured, so every
    /// legitimate value is sealed, and a clear one was written by someone without the KEK.
    /// </summary>
    public bool RefusesClear(SealState state, bool migrating) => state == SealState.Clear && IsEnabled && !(migrating && MigrateClearValues);

    /// <summary>The current KEK's id, in hex (for messages); empty without one.</summary>
    public string CurrentKeyId => _current is null ? "" : Convert.ToHexStringLower(_current.Id);

    /// <summary>The stored form of <paramref name="plaintext"/>: sealed for <paramref name="purpose"/>, or the plaintext itself without a KEK.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose)
    {
        if (_current is not { } kek)
        {
            return plaintext.ToArray();
        }

        var sealedValue = new byte[Overhead + plaintext.Length];
        var span = sealedValue.AsSpan();
        Marker.CopyTo(span);
        kek.Id.CopyTo(span[Marker.Length..]);
        var nonce = span.Slice(HeaderLength, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        var ciphertext = span.Slice(HeaderLength + NonceLength, plaintext.Length);
        var tag = span[^TagLength..];
        using var aes = new AesGcm(kek.Key, TagLength);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(span[..HeaderLength], purpose));
        return sealedValue;
    }

    /// <summary>
    /// Reads a stored value: its plaintext, and whether it was clear, sealed with the current KEK or with a previous
    /// one; or why it cannot be read. Never throws for a bad value.
    /// </summary>
    public OpenedValue Open(byte[] stored, string purpose)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!IsSealed(stored))
        {
            return new OpenedValue(SealState.Clear, stored, "");
        }

        var keyId = stored.AsSpan(Marker.Length, KeyIdLength);
        var keyIdText = Convert.ToHexStringLower(keyId);
        if (_current is null)
        {
            return new OpenedValue(SealState.NoKey, null, keyIdText);
        }

        var (kek, state) = keyId.SequenceEqual(_current.Id) ? (_current, SealState.Current) : (FindPrevious(keyId), SealState.Previous);
        if (kek is null)
        {
            return new OpenedValue(SealState.UnknownKey, null, keyIdText);
        }

        var span = stored.AsSpan();
        var plaintext = new byte[stored.Length - Overhead];
        try
        {
            using var aes = new AesGcm(kek.Key, TagLength);
            aes.Decrypt(
                span.Slice(HeaderLength, NonceLength),
                span.Slice(HeaderLength + NonceLength, plaintext.Length),
                span[^TagLength..],
                plaintext,
                AssociatedData(span[..HeaderLength], purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            return new OpenedValue(SealState.Corrupt, null, keyIdText);
        }

        return new OpenedValue(state, plaintext, keyIdText);
    }

    /// <summary>True when <paramref name="stored"/> carries the format marker (whether or not any KEK can open it).</summary>
    public static bool IsSealed(ReadOnlySpan<byte> stored) => stored.Length > Overhead && stored.StartsWith(Marker);

    /// <summary>Reads a KEK given as base64 (standard or URL alphabet): exactly 32 bytes, or null.</summary>
    public static byte[]? ParseKey(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var normalised = text.Trim().Replace('-', '+').Replace('_', '/');
        normalised = normalised.PadRight(normalised.Length + ((4 - (normalised.Length % 4)) % 4), '=');
        var buffer = new byte[normalised.Length];
        return Convert.TryFromBase64String(normalised, buffer, out var written) && written == KeyLength ? buffer[..KeyLength] : null;
    }

    private Kek? FindPrevious(ReadOnlySpan<byte> keyId)
    {
        foreach (var kek in _previous)
        {
            if (keyId.SequenceEqual(kek.Id))
            {
                return kek;
            }
        }

        return null;
    }

    // The header is authenticated too, so the key id cannot be swapped; the purpose binds the value to its row.
    private static byte[] AssociatedData(ReadOnlySpan<byte> header, string purpose)
    {
        var data = new byte[header.Length + Encoding.UTF8.GetByteCount(purpose)];
        header.CopyTo(data);
        Encoding.UTF8.GetBytes(purpose, data.AsSpan(header.Length));
        return data;
    }

    public override string ToString() => IsEnabled ? $"KeyEncryption {{ KeyId = {CurrentKeyId}, Previous = {_previous.Length}, MigrateClearValues = {MigrateClearValues} }}" : "KeyEncryption { None }";

    private sealed class Kek
    {
        public Kek(byte[] key)
        {
            if (key.Length != KeyLength)
            {
                throw new ArgumentException($"A key-encryption key is {KeyLength} bytes.", nameof(key));
            }

            Key = key.ToArray();
            Id = HMACSHA256.HashData(Key, KeyIdLabel)[..KeyIdLength];
        }

        public byte[] Key { get; }

        public byte[] Id { get; }
    }
}
