using System.Collections.Concurrent;

namespace SessionGateway.Tokens;

/// <summary>
/// Sessions revoked on this replica, remembered until every access token they could have issued has
/// expired, so a revoke or a detected theft kills their access tokens here at once despite local verification.
/// </summary>
internal sealed class RevokedSessionSet
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public int Count => _until.Count;

    public void Add(string sessionHandle, DateTimeOffset rememberUntil) =>
        _until.AddOrUpdate(sessionHandle, rememberUntil, (_, existing) => existing > rememberUntil ? existing : rememberUntil);

    /// <summary>Takes back a mark, only if it is still the one that was set (a later, longer mark stays).</summary>
    public void Remove(string sessionHandle, DateTimeOffset rememberUntil) =>
        _until.TryRemove(new KeyValuePair<string, DateTimeOffset>(sessionHandle, rememberUntil));

    public bool IsRevoked(string sessionHandle, DateTimeOffset now) =>
        _until.TryGetValue(sessionHandle, out var until) && now < until;

    public int Prune(DateTimeOffset now)
    {
        var removed = 0;
        foreach (var entry in _until)
        {
            if (entry.Value <= now && _until.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }
}
