using System.Collections.Concurrent;

namespace SessionGateway.Tokens;

/// <summary>
/// Remembers verified access tokens so each distinct token pays for one signature check. Keyed by the full token
/// string, so only the exact characters that were verified can hit. Bounded in bytes (and in entries) with two
/// generations: when the current one would pass half the budget, or holds <c>capacity</c> entries, it becomes the
/// previous one and the old previous one is dropped; so the accounted size of both stays under the budget, and hot
/// tokens survive by being promoted on use. Reads take no lock and allocate nothing; adds (once per distinct valid
/// token, after a signature check that costs far more) take one, so the accounting is exact.
/// </summary>
internal sealed class VerifiedTokenCache
{
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private readonly long _generationBytes;
    private ConcurrentDictionary<string, VerifiedAccessToken> _current = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, VerifiedAccessToken> _previous = new(StringComparer.Ordinal);
    private int _currentCount;
    private long _currentBytes;
    private long _previousBytes;

    /// <param name="capacity">Entries per generation.</param>
    /// <param name="maxBytes">Accounted bytes of both generations together (see <see cref="EntryBytes"/>).</param>
    public VerifiedTokenCache(int capacity, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 2L);
        _capacity = capacity;
        _generationBytes = maxBytes / 2;
        MaxBytes = maxBytes;
    }

    public int Capacity => _capacity;

    public long MaxBytes { get; }

    /// <summary>The accounted size of both generations: never above <see cref="MaxBytes"/>.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _currentBytes + _previousBytes;
            }
        }
    }

    /// <summary>Upper bound of entries held (both generations).</summary>
    public int Count => _current.Count + _previous.Count;

    public bool TryGet(string token, out VerifiedAccessToken verified)
    {
        if (_current.TryGetValue(token, out verified!))
        {
            return true;
        }

        if (_previous.TryGetValue(token, out verified!))
        {
            Add(token, verified);
            return true;
        }

        return false;
    }

    /// <summary>The same lookup without a string: the hot path reads the token straight from the cookie header.</summary>
    public bool TryGet(ReadOnlySpan<char> token, out VerifiedAccessToken verified)
    {
        if (_current.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out verified!))
        {
            return true;
        }

        if (_previous.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out verified!))
        {
            Add(token.ToString(), verified);
            return true;
        }

        return false;
    }

    public void Add(string token, VerifiedAccessToken verified)
    {
        var bytes = EntryBytes(token, verified);
        if (bytes > _generationBytes)
        {
            // Would not fit in a generation: verified again on each use rather than flushing everything else.
            return;
        }

        lock (_lock)
        {
            if (_current.ContainsKey(token))
            {
                return;
            }

            if (_currentBytes + bytes > _generationBytes || _currentCount >= _capacity)
            {
                _previous = _current;
                _previousBytes = _currentBytes;
                _current = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
                _currentBytes = 0;
                _currentCount = 0;
            }

            _current[token] = verified;
            _currentBytes += bytes;
            _currentCount++;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _previous = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
            _current = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
            _currentBytes = 0;
            _previousBytes = 0;
            _currentCount = 0;
        }
    }

    /// <summary>
    /// What one entry keeps alive, approximately: the key string, the parsed token with its strings and claims
    /// dictionary, and the claims principal the gateway builds once per cached token (another copy of the user id,
    /// handle and custom claims), plus the objects' fixed overheads. An estimate, deliberately on the high side.
    /// </summary>
    internal static long EntryBytes(string token, VerifiedAccessToken verified)
    {
        const int stringOverhead = 24;     // object header, method table pointer, length
        const int perClaimOverhead = 160;  // dictionary entry, Claim object and its properties
        const int perEntryOverhead = 1024; // dictionary node, the record, claims dictionary, principal and identity

        static long Text(string? text) => text is null ? 0 : stringOverhead + (2L * text.Length);

        var bytes = perEntryOverhead + Text(token) + Text(verified.PayloadJson) + Text(verified.AntiCsrfToken)
            + Text(verified.RefreshTokenHash1) + (2 * (Text(verified.UserId) + Text(verified.SessionHandle)));
        foreach (var (name, value) in verified.CustomClaims)
        {
            bytes += perClaimOverhead + (2 * (Text(name) + Text(value)));
        }

        return bytes;
    }
}
