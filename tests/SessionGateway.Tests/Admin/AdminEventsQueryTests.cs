using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using SessionGateway.Admin;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Admin;

/// <summary>The query of <c>GET /admin/events</c>: defaults, filters, and a 400 message naming each bad parameter.</summary>
public sealed class AdminEventsQueryTests
{
    [Fact]
    public void Empty_FirstPageOfEverything_DefaultLimit()
    {
        var (query, problem) = Parse("");

        Assert.Null(problem);
        Assert.Equal(new Storage.EventQuery(Storage.EventCursor.Start, AdminEventsQuery.DefaultLimit), query);
    }

    [Fact]
    public void EveryParameter_IsRead()
    {
        var (query, problem) = Parse("?since=2026-11-27T09:30:00%2B01:00&type=session.created&type=session.theft_detected&userId=team%2Fann&limit=1000&after=42");

        Assert.Null(problem);
        Assert.Equal(Storage.EventCursor.AfterId(42), query!.After);
        Assert.Equal(1000, query.Limit);
        Assert.Equal(DateTimeOffset.Parse("2026-11-27T08:30:00Z", System.Globalization.CultureInfo.InvariantCulture), query.Since);
        Assert.Equal("team/ann", query.UserId);
        Assert.Equal(
            SessionEventTypes.StoredKindsOf(SessionEventTypes.Created)!.Concat(SessionEventTypes.StoredKindsOf(SessionEventTypes.TheftDetected)!),
            query.Kinds);
    }

    [Theory]
    [InlineData("0.0", 0L, 0L)]
    [InlineData("812.812", 812L, 812L)] // SQLite: the position is the id
    [InlineData("9223372036854775807.17", long.MaxValue, 17L)] // PostgreSQL: the writing transaction's id, then the event's
    public void After_ACursor_IsReadBack(string text, long position, long id)
    {
        var (query, problem) = Parse("?after=" + text);

        Assert.Null(problem);
        Assert.Equal(new Storage.EventCursor(position, id), query!.After);
        Assert.Equal(text, AdminEventsQuery.FormatCursor(query.After));
    }

    [Theory]
    [InlineData("2026-11-27", "2026-11-27T00:00:00Z")]
    [InlineData("2026-11-27T09:30Z", "2026-11-27T09:30:00Z")]
    [InlineData("2026-11-27T09:30:15Z", "2026-11-27T09:30:15Z")]
    [InlineData("2026-11-27T09:30:15.125Z", "2026-11-27T09:30:15.125Z")]
    [InlineData("2026-11-27T09:30:15", "2026-11-27T09:30:15Z")] // no offset: UTC
    [InlineData("2026-11-27T09:30:15-05:00", "2026-11-27T14:30:15Z")]
    [InlineData("2026-11-27T09:30:15.123456789Z", "2026-11-27T09:30:15.1234567Z")] // RFC 3339 with nanoseconds (Go, Java)
    [InlineData("2026-11-27T09:30:15.12345678-05:00", "2026-11-27T14:30:15.1234567Z")]
    public void Since_Iso8601Forms(string since, string expected)
    {
        var (query, problem) = Parse("?since=" + Uri.EscapeDataString(since));

        Assert.Null(problem);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), query!.Since);
    }

    [Fact]
    public void Types_RepeatedOrCommaSeparated_SameKindsOnce()
    {
        var (repeated, _) = Parse("?type=session.revoked&type=session.signed_out");
        var (commas, _) = Parse("?type=session.revoked,session.signed_out,session.revoked");

        Assert.Equal(repeated!.Kinds, commas!.Kinds);
        Assert.Equal(repeated.Kinds!.Count, repeated.Kinds.Distinct().Count());
    }

    [Theory]
    [InlineData("?type=session.stolen", "type: 'session.stolen' is not an event type")]
    [InlineData("?type=", "type: needs an event type")]
    [InlineData("?type=Session.Created", "type: 'Session.Created'")]
    [InlineData("?since=yesterday", "since: 'yesterday'")]
    [InlineData("?since=27/11/2026", "since:")]
    [InlineData("?since=2026-11-27T09:30:00+01:00", "%2B")] // an unencoded '+' arrives as a space
    [InlineData("?limit=0", "limit: '0'")]
    [InlineData("?limit=1001", "limit: '1001'")]
    [InlineData("?limit=-5", "limit:")]
    [InlineData("?limit=", "limit:")]
    [InlineData("?after=-1", "after: '-1'")]
    [InlineData("?after=next", "after: 'next'")]
    [InlineData("?after=", "after: ''")]
    [InlineData("?after=7.", "after: '7.'")]
    [InlineData("?after=.42", "after: '.42'")]
    [InlineData("?after=7.42.1", "after: '7.42.1'")]
    [InlineData("?after=7.-42", "after: '7.-42'")]
    [InlineData("?after=7%2C42", "after: '7,42'")]
    [InlineData("?after=99999999999999999999.1", "after: '99999999999999999999.1'")]
    [InlineData("?userId=", "userId: needs a user id")]
    [InlineData("?limit=5&limit=6", "limit: given 2 times")]
    [InlineData("?types=session.created", "unknown query parameter 'types'")]
    public void BadQuery_IsAProblemNamingTheParameter(string queryString, string message)
    {
        var (query, problem) = Parse(queryString);

        Assert.Null(query);
        Assert.Contains(message, problem, StringComparison.Ordinal);
    }

    private static (Storage.EventQuery? Query, string? Problem) Parse(string queryString) =>
        AdminEventsQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(queryString)));
}
