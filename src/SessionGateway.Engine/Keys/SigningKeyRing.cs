using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Keys;

/// <summary>
/// The signing keys every replica shares through the store. Schedule: each key signs for one rotation
/// period (the first slot is aligned to the period, see <see cref="FirstKey"/>); the next key is stored (and so
/// published in the JWKS) as soon as the current one starts signing, i.e. a full period before it signs; a key stays verifiable until signs-until + access-token
/// lifetime + clock skew. Replicas pick the signer by the clock, so they switch together without
/// coordination, and reload the set periodically to learn about keys other replicas added. Private keys are
/// stored sealed by <see cref="KeyEncryption"/> when a key-encryption key is configured; a key sealed with a previous
/// key-encryption key is re-sealed in place with the current one at the next reload. A key found in clear while a
/// key-encryption key is configured is refused (anyone able to write the store could have planted it), except by
/// <see cref="MigrateClearKeysAsync"/> at a start with <see cref="KeyEncryption.MigrateClearValues"/>.
/// </summary>
internal sealed partial class SigningKeyRing(
    ISessionStore store,
    SessionEngineOptions options,
    KeyEncryption keyEncryption,
    TimeProvider timeProvider,
    ILogger<SigningKeyRing> logger) : IDisposable
{
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private volatile KeyRingSnapshot _snapshot = KeyRingSnapshot.Empty;

    // Set when a reload found a key the configured key-encryption keys cannot open (another replica stored it under
    // a key-encryption key this one lacks); cleared by the next reload that opens every key. A store outage leaves it
    // as it was: the keys loaded are still the store's, and the outage is the store's to report.
    private volatile bool _lastReloadUnreadable;

    /// <summary>Raised after a reload dropped keys, so caches of tokens they verified can be emptied.</summary>
    public event Action? KeysRemoved;

    public string JwksJson => _snapshot.JwksJson;

    internal KeyRingSnapshot Snapshot => _snapshot;

    /// <summary>
    /// Ensures the current and the next key exist, drops retired keys, and reloads the set. A key that cannot be
    /// decrypted with the configured key-encryption keys throws <see cref="KeyEncryptionException"/> and leaves the
    /// loaded set as it was.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var now = timeProvider.GetUtcNow();
            var stored = await store.GetSigningKeysAsync(cancellationToken);
            if (FindCurrent(stored, now) is null)
            {
                // Guarded by the clock skew both ways: a replica whose clock is a moment behind a period boundary and
                // one a moment past it must not each add a first key (the one behind then signs with the other's key).
                await AddAsync(FirstKey(now), now - SessionEngineOptions.ClockSkew, now + SessionEngineOptions.ClockSkew, cancellationToken);
                stored = await store.GetSigningKeysAsync(cancellationToken);
            }

            // The successor follows the key the store holds, which may be another replica's rather than ours.
            if (FindCurrent(stored, now) is { } current && !HasSuccessor(stored, current))
            {
                await AddAsync(NewKey(now, current.SignsUntil, current.SignsUntil + options.SigningKeyRotation), current.SignsUntil, current.SignsUntil, cancellationToken);
                stored = await store.GetSigningKeysAsync(cancellationToken);
            }

            await store.DeleteRetiredSigningKeysAsync(now, cancellationToken);
            List<(StoredSigningKey Entry, byte[] PrivateKey)> opened;
            try
            {
                opened = await OpenAsync(stored, now, cancellationToken);
            }
            catch (KeyEncryptionException)
            {
                _lastReloadUnreadable = true;
                throw;
            }

            try
            {
                Publish(opened);
                _lastReloadUnreadable = false;
            }
            finally
            {
                foreach (var (_, privateKey) in opened)
                {
                    CryptographicOperations.ZeroMemory(privateKey);
                }
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>
    /// The one-time migration of keys stored in clear (with <see cref="KeyEncryption.MigrateClearValues"/>; else
    /// nothing): each is sealed and retired early in the same compare-and-swap. It signs no more from now on, and stays
    /// verifiable only as long as the tokens it signed live (access-token lifetime + clock skew); a key that had not
    /// started signing is dropped. A copy of the store taken before the migration (a backup, or bytes left in the
    /// file) then mints no accepted token once that bound has passed. The caller's <see cref="RefreshAsync"/> adds a
    /// fresh current key. Returns how many keys were migrated.
    /// </summary>
    public async Task<int> MigrateClearKeysAsync(CancellationToken cancellationToken)
    {
        if (!keyEncryption.MigrateClearValues)
        {
            return 0;
        }

        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var now = timeProvider.GetUtcNow();
            var verifyBound = now + options.AccessTokenLifetime + SessionEngineOptions.ClockSkew;
            var migrated = 0;
            foreach (var entry in await store.GetSigningKeysAsync(cancellationToken))
            {
                var purpose = Purpose(entry.KeyId, entry.Algorithm);
                var opened = keyEncryption.Open(entry.PrivateKey, purpose);
                if (opened.State != SealState.Clear || entry.VerifyUntil <= now)
                {
                    continue;
                }

                var signsUntil = entry.SignsUntil < now ? entry.SignsUntil : now;
                var verifyUntil = entry.SignsFrom > now ? now : (entry.VerifyUntil < verifyBound ? entry.VerifyUntil : verifyBound);
                try
                {
                    // A lost swap means another replica migrated it first.
                    if (await store.TryRetireSigningKeyAsync(
                        entry.KeyId, entry.PrivateKey, keyEncryption.Seal(opened.Plaintext, purpose), signsUntil, verifyUntil, cancellationToken))
                    {
                        migrated++;
                        Log.KeyRetired(logger, entry.KeyId, verifyUntil);
                    }
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(opened.Plaintext);
                }
            }

            if (migrated > 0)
            {
                Log.KeysResealed(logger, migrated, keyEncryption.CurrentKeyId);
            }

            // Whoever retired the keys (this replica, or another one migrating at the same time whose replacement is
            // not stored yet), the store must hold a current key now: the reload's first-key guard would see the
            // retired key's window and add none, and the ring would fall back to signing with the retired clear key.
            // The slot of a first key is aligned to the period, and may be the one the retired key holds: the
            // replacement starts at the migration instant instead. The guard keeps it to one replacement.
            var stored = await store.GetSigningKeysAsync(cancellationToken);
            if (stored.Count > 0 && FindCurrent(stored, now) is null)
            {
                await AddAsync(NewKey(now, now, now + options.SigningKeyRotation), now, now, cancellationToken);
            }

            return migrated;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>
    /// Whether this replica's keys can serve: its last reload opened every key the store holds (so it can verify every
    /// token another replica signs), and a key's signing window covers <paramref name="now"/> (so it is not signing with
    /// a key past its window because reloads kept failing). For the readiness probe.
    /// </summary>
    public bool IsCurrent(DateTimeOffset now)
    {
        if (_lastReloadUnreadable)
        {
            return false;
        }

        foreach (var key in _snapshot.OrderedBySignsFrom)
        {
            if (key.Algorithm == options.Algorithm && key.SignsFrom <= now + SessionEngineOptions.ClockSkew && now < key.SignsUntil)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The key that signs at <paramref name="now"/>, or <see langword="null"/> before the first load.</summary>
    public SigningKey? GetSigner(DateTimeOffset now)
    {
        SigningKey? inWindow = null;
        SigningKey? latestStarted = null;
        // Indexed, not foreach: this runs on every refresh, and the interface enumerator would be an allocation.
        var keys = _snapshot.OrderedBySignsFrom;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (key.Algorithm != options.Algorithm || key.SignsFrom > now)
            {
                continue;
            }

            latestStarted = key;
            if (now < key.SignsUntil)
            {
                inWindow = key;
            }
        }

        // Past every window only when reloads failed for a whole period; keep signing rather than go dark. Before
        // every window only on a clock a moment behind the replica that added the first key (within the clock skew
        // the first key's guard allows): sign with that key, which every replica holds, rather than with none.
        return inWindow ?? latestStarted ?? FirstStartingWithin(now + SessionEngineOptions.ClockSkew);
    }

    private SigningKey? FirstStartingWithin(DateTimeOffset limit)
    {
        foreach (var key in _snapshot.OrderedBySignsFrom)
        {
            if (key.Algorithm == options.Algorithm && key.SignsFrom <= limit)
            {
                return key;
            }
        }

        return null;
    }

    public bool TryGetVerificationKey(string keyId, DateTimeOffset now, out SigningKey key)
    {
        if (_snapshot.ByKeyId.TryGetValue(keyId, out key!) && now < key.VerifyUntil)
        {
            return true;
        }

        key = null!;
        return false;
    }

    private StoredSigningKey? FindCurrent(IReadOnlyList<StoredSigningKey> stored, DateTimeOffset now)
    {
        StoredSigningKey? current = null;
        foreach (var key in stored)
        {
            if (key.Algorithm == options.Algorithm && key.SignsFrom <= now && now < key.SignsUntil
                && (current is null || key.SignsFrom > current.SignsFrom))
            {
                current = key;
            }
        }

        return current;
    }

    private bool HasSuccessor(IReadOnlyList<StoredSigningKey> stored, StoredSigningKey current)
    {
        foreach (var key in stored)
        {
            if (key.Algorithm == options.Algorithm && key.SignsFrom == current.SignsUntil)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The key for a store with no current key. Replicas starting together on an empty store must end up with one
    /// key, not one each: the slot is derived from the clock, aligned to the rotation period, so they all insert
    /// the same (algorithm, signs-from) and the store keeps the first. A slot about to end is stretched by one
    /// period, so the first successor is still published well before it signs.
    /// </summary>
    private StoredSigningKey FirstKey(DateTimeOffset now)
    {
        var period = options.SigningKeyRotation;
        var from = DateTimeOffset.FromUnixTimeMilliseconds(
            now.ToUnixTimeMilliseconds() / (long)period.TotalMilliseconds * (long)period.TotalMilliseconds);
        var until = from + period;
        if (until - now < period / 2)
        {
            until += period;
        }

        return NewKey(now, from, until);
    }

    private async Task AddAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken)
    {
        // Not added means another replica filled the slot first; the reload that follows picks its key up.
        if (await store.TryAddSigningKeyAsync(key, unlessSigningFrom, unlessSigningUntil, cancellationToken))
        {
            Log.KeyAdded(logger, key.KeyId, key.Algorithm, key.SignsFrom, key.SignsUntil);
        }
    }

    private StoredSigningKey NewKey(DateTimeOffset now, DateTimeOffset signsFrom, DateTimeOffset signsUntil)
    {
        var keyId = Base64UrlRandom(16);
        var privateKey = SigningKey.GeneratePrivateKeyPkcs8(options.Algorithm);
        try
        {
            return new StoredSigningKey(
                keyId,
                options.Algorithm,
                keyEncryption.Seal(privateKey, Purpose(keyId, options.Algorithm)),
                now,
                signsFrom,
                signsUntil,
                signsUntil + options.AccessTokenLifetime + SessionEngineOptions.ClockSkew);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>What a sealed private key is bound to: a ciphertext moved to another key's row does not decrypt.</summary>
    internal static string Purpose(string keyId, SigningAlgorithm algorithm) => $"signing-key:{keyId}:{algorithm}";

    /// <summary>
    /// The private keys of the keys still verifying, decrypted. With a key-encryption key, keys sealed with a previous
    /// one are re-sealed with the current one in place, and a key in clear is refused (see <see cref="MigrateClearKeysAsync"/>).
    /// </summary>
    private async Task<List<(StoredSigningKey Entry, byte[] PrivateKey)>> OpenAsync(
        IReadOnlyList<StoredSigningKey> stored, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = new List<(StoredSigningKey, byte[])>(stored.Count);
        var resealed = 0;
        foreach (var entry in stored)
        {
            if (entry.VerifyUntil <= now)
            {
                continue;
            }

            var purpose = Purpose(entry.KeyId, entry.Algorithm);
            var opened = keyEncryption.Open(entry.PrivateKey, purpose);
            if (opened.Plaintext is not { } privateKey || keyEncryption.RefusesClear(opened.State, migrating: false))
            {
                if (opened.Plaintext is { } refused)
                {
                    CryptographicOperations.ZeroMemory(refused);
                }

                foreach (var (_, open) in result)
                {
                    CryptographicOperations.ZeroMemory(open);
                }

                throw KeyEncryptionException.For("signing key " + entry.KeyId, opened, keyEncryption);
            }

            // A lost swap means another replica re-sealed it first; the plaintext is the same either way.
            if (keyEncryption.IsEnabled && opened.State is SealState.Previous &&
                await store.TryReplaceSigningKeyAsync(entry.KeyId, entry.PrivateKey, keyEncryption.Seal(privateKey, purpose), cancellationToken))
            {
                resealed++;
            }

            result.Add((entry, privateKey));
        }

        if (resealed > 0)
        {
            Log.KeysResealed(logger, resealed, keyEncryption.CurrentKeyId);
        }

        return result;
    }

    private void Publish(List<(StoredSigningKey Entry, byte[] PrivateKey)> opened)
    {
        var previous = _snapshot;
        var byKeyId = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        var ordered = new List<SigningKey>();
        foreach (var (entry, privateKey) in opened)
        {
            // Loaded keys are reused, never disposed: a verification may still be using one on another thread.
            if (!previous.ByKeyId.TryGetValue(entry.KeyId, out var key))
            {
                key = SigningKey.Load(entry, privateKey);
            }

            byKeyId[entry.KeyId] = key;
            ordered.Add(key);
        }

        ordered.Sort(static (a, b) => a.SignsFrom.CompareTo(b.SignsFrom));
        _snapshot = new KeyRingSnapshot(byKeyId, ordered, BuildJwks(ordered));

        foreach (var keyId in previous.ByKeyId.Keys)
        {
            if (!byKeyId.ContainsKey(keyId))
            {
                KeysRemoved?.Invoke();
                break;
            }
        }
    }

    private static string BuildJwks(List<SigningKey> keys)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in keys)
            {
                key.WritePublicJwk(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public void Dispose() => _refreshLock.Dispose();

    private static string Base64UrlRandom(int bytes) =>
        System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
            Message = "Signing key {KeyId} ({Algorithm}) stored; signs from {SignsFrom:O} until {SignsUntil:O}")]
        public static partial void KeyAdded(ILogger logger, string keyId, SigningAlgorithm algorithm, DateTimeOffset signsFrom, DateTimeOffset signsUntil);

        [LoggerMessage(EventId = 1454, Level = LogLevel.Information,
            Message = "Encrypted {Count} signing key(s) in the session store with key-encryption key id {KeyEncryptionKeyId} (they were in clear, migrated, or under a previous key)")]
        public static partial void KeysResealed(ILogger logger, int count, string keyEncryptionKeyId);

        [LoggerMessage(EventId = 1458, Level = LogLevel.Warning,
            Message = "Signing key {KeyId} was stored in clear: encrypted, no longer signing, and verifiable only until {VerifyUntil:O} (a copy taken while it was in clear could sign tokens)")]
        public static partial void KeyRetired(ILogger logger, string keyId, DateTimeOffset verifyUntil);
    }
}
