using System.Globalization;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Admin;

/// <summary>
/// The query of <c>GET /admin/events</c> read into an <see cref="EventQuery"/>, or the reason it cannot be (a 400 that
/// says which parameter and what it expects). Strict: an unknown parameter is refused too, since a misspelt filter
/// would otherwise return the whole trail as if it had matched.
/// </summary>
internal static class AdminEventsQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly string[] Parameters = ["since", "type", "userId", "limit", "after"];

    // ISO 8601 as people write it: a date, or a date and time (seconds, fractions) with Z, an offset, or none (UTC).
    private static readonly string[] SinceFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public static (EventQuery? Query, string? Problem) Parse(IQueryCollection query)
    {
        foreach (var (name, _) in query)
        {
            if (!Parameters.Contains(name, StringComparer.Ordinal))
            {
                return (null, $"unknown query parameter '{name}'; known: {string.Join(", ", Parameters)}");
            }
        }

        DateTimeOffset? since = null;
        if (Single(query, "since") is { } sinceText)
        {
            if (!DateTimeOffset.TryParseExact(WithoutSubTickDigits(sinceText), SinceFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return (null, $"since: '{sinceText}' is not an ISO 8601 time such as 2026-11-27T09:30:00Z (an offset's '+' is written %2B in a query)");
            }

            since = parsed;
        }

        List<string>? kinds = null;
        foreach (var value in query["type"])
        {
            foreach (var type in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (SessionEventTypes.StoredKindsOf(type) is not { } stored)
                {
                    return (null, $"type: '{type}' is not an event type; known: {string.Join(", ", SessionEventTypes.All)}");
                }

                kinds ??= [];
                kinds.AddRange(stored.Where(k => !kinds.Contains(k)));
            }
        }

        if (query.ContainsKey("type") && kinds is null)
        {
            return (null, $"type: needs an event type; known: {string.Join(", ", SessionEventTypes.All)}");
        }

        var userId = Single(query, "userId");
        if (query.ContainsKey("userId") && string.IsNullOrEmpty(userId))
        {
            return (null, "userId: needs a user id");
        }

        var limit = DefaultLimit;
        if (Single(query, "limit") is { } limitText &&
            (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return (null, $"limit: '{limitText}' is not a number from 1 to {MaxLimit} (default {DefaultLimit})");
        }

        var after = EventCursor.Start;
        if (Single(query, "after") is { } afterText && (after = ParseCursor(afterText)) is null)
        {
            return (null, $"after: '{afterText}' is not a cursor: pass the 'next' of the previous page (or the 'cursor' of the last event you have)");
        }

        foreach (var name in new[] { "since", "userId", "limit", "after" })
        {
            if (query[name].Count > 1)
            {
                return (null, $"{name}: given {query[name].Count} times; give it once");
            }
        }

        return (new EventQuery(after, limit, since, kinds, userId), null);
    }

    /// <summary>
    /// The text of a cursor, <c>position.id</c>: opaque to clients, who pass back what a page gave them (a page's
    /// <c>next</c>, an event's <c>cursor</c>).
    /// </summary>
    public static string FormatCursor(EventCursor cursor) => cursor.Position is { } position
        ? string.Create(CultureInfo.InvariantCulture, $"{position}.{cursor.Id}")
        : cursor.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A cursor from its text (<see cref="FormatCursor"/>), or a bare event id (what <c>next</c> was before cursors had
    /// positions, and what the docs let a poller keep): the events with a higher id come next. Null when it is neither.
    /// </summary>
    public static EventCursor? ParseCursor(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? EventCursor.AfterId(id) : null;
        }

        return long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var position) &&
            long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var eventId)
            ? new EventCursor(position, eventId)
            : null;
    }

    /// <summary>
    /// <paramref name="text"/> with fraction digits beyond the 7th (100 ns, what <see cref="DateTimeOffset"/> holds) cut
    /// off: RFC 3339 allows any number, and common clients write 9 (Go's <c>time.RFC3339Nano</c>, Java's
    /// <c>Instant.toString()</c>, <c>date --rfc-3339=ns</c>). The cut digits cannot change which events match by more
    /// than 100 ns.
    /// </summary>
    private static string WithoutSubTickDigits(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return text;
        }

        var end = dot + 1;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }

        return end - dot - 1 > 7 ? string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end)) : text;
    }

    private static string? Single(IQueryCollection query, string name) => query[name] is { Count: 1 } values ? values[0] : null;
}
