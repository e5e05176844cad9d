using System.Collections.Concurrent;

namespace SessionGateway.Tokens;

/// <summary>
/// Remembers verified access tokens so each distinct token pays for one signature check. Keyed by the
/// full token string, so only the exact bytes that were verified can hit. Bounded with two generations:
/// when the current one fills up it becomes the previous one and the old previous one is dropped, so
/// memory stays under twice the capacity and hot tokens survive by being promoted on use.
/// </summary>
internal sealed class VerifiedTokenCache(int capacity)
{
    private readonly Lock _swapLock = new();
    private ConcurrentDictionary<string, VerifiedAccessToken> _current = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, VerifiedAccessToken> _previous = new(StringComparer.Ordinal);
    private int _currentCount;

    public int Capacity => capacity;

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
        if (!_current.TryAdd(token, verified))
        {
            return;
        }

        if (Interlocked.Increment(ref _currentCount) >= capacity)
        {
            lock (_swapLock)
            {
                if (Volatile.Read(ref _currentCount) >= capacity)
                {
                    _previous = _current;
                    _current = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
                    Volatile.Write(ref _currentCount, 0);
                }
            }
        }
    }

    /// <summary>Upper bound of entries held (both generations).</summary>
    public int Count => _current.Count + _previous.Count;

    public void Clear()
    {
        lock (_swapLock)
        {
            _previous = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
            _current = new ConcurrentDictionary<string, VerifiedAccessToken>(StringComparer.Ordinal);
            Volatile.Write(ref _currentCount, 0);
        }
    }
}
