namespace SessionGateway.Assertions;

/// <summary>
/// The assertions of one access token, one per audience (as many as the routes name, so a handful). Readers take no
/// lock and allocate nothing; a new or renewed assertion replaces the array (copy on write), so a reader always sees
/// a whole one.
/// </summary>
internal sealed class TokenAssertions
{
    private CachedAssertion[] _byAudience = [];

    public CachedAssertion? Find(string audience)
    {
        var entries = Volatile.Read(ref _byAudience);
        foreach (var entry in entries)
        {
            // Audiences come from route configuration: usually the very same string instance, which Equals sees first.
            if (string.Equals(entry.Audience, audience, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }

    public void Put(CachedAssertion assertion)
    {
        while (true)
        {
            var entries = Volatile.Read(ref _byAudience);
            var index = Array.FindIndex(entries, e => string.Equals(e.Audience, assertion.Audience, StringComparison.Ordinal));
            CachedAssertion[] next;
            if (index >= 0)
            {
                next = (CachedAssertion[])entries.Clone();
                next[index] = assertion;
            }
            else
            {
                next = [.. entries, assertion];
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _byAudience, next, entries), entries))
            {
                return;
            }
        }
    }
}
