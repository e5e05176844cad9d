using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SessionGateway.Sessions;
using SessionGateway.Transport;

namespace SessionGateway.Admin;

/// <summary>
/// The admin API's endpoints (management listener only; <see cref="AdminApiExtensions"/> builds their pipeline). Every
/// one but the OpenAPI document requires the admin key, through the authorization policy
/// <see cref="AdminApiExtensions.KeyRequired"/>. A store outage is a 503 with <c>Retry-After</c>, never a 500.
/// </summary>
internal static class AdminEndpoints
{
    // The segment that holds the user id or session handle in both path shapes: "", "admin", "users"|"sessions", value.
    private const int ValueSegment = 3;

    private static readonly AdminMessage StoreUnavailable = new("session store unavailable, try again");
    private static readonly AdminMessage UnknownSession = new("no live session has this handle");
    private static readonly AdminMessage PathNotNormal = new("the path must be sent as routed: no dot segments; percent-encode the value ('/' as %2F, '%' as %25)");

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup(AdminApiDefaults.PathPrefix)
            .RequireAuthorization(AdminApiExtensions.KeyRequired)
            .WithGroupName(AdminApiDefaults.GroupName)
            .WithTags("admin");

        admin.MapGet("/users/{userId}/sessions", ListSessionsAsync)
            .WithCommonAnswers()
            .WithName("listUserSessions")
            .WithSummary("A user's live sessions")
            .WithDescription("Oldest first. The user id is one path segment: percent-encode it ('/' as %2F).")
            .Produces<IReadOnlyList<AdminSession>>()
            .Produces<AdminMessage>(StatusCodes.Status400BadRequest);

        admin.MapDelete("/users/{userId}/sessions", RevokeAllAsync)
            .WithCommonAnswers()
            .WithName("revokeUserSessions")
            .WithSummary("Revoke every session of a user")
            .WithDescription("Every replica refuses the sessions' access and refresh tokens within a second. Audit events: session.revoked, kind admin.")
            .Produces<RevokedSessions>()
            .Produces<AdminMessage>(StatusCodes.Status400BadRequest);

        admin.MapDelete("/sessions/{handle}", RevokeAsync)
            .WithCommonAnswers()
            .WithName("revokeSession")
            .WithSummary("Revoke one session")
            .WithDescription("204 when it was live; 404 when no live session has the handle. Every replica refuses its access and refresh tokens within a second.")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<AdminMessage>(StatusCodes.Status400BadRequest)
            .Produces<AdminMessage>(StatusCodes.Status404NotFound);

        admin.MapGet("/events", ListEventsAsync)
            .WithCommonAnswers()
            .WithName("listEvents")
            .WithSummary("The audit trail, oldest first, a page at a time")
            .WithDescription("Repeat with after=<next> until next is null; later, after=<the cursor of the last event> lists what came since. "
                + "On PostgreSQL an event shows once every transaction that began before it has ended (normally at once), so a cursor never passes an event still to show.")
            .Produces<AdminEventPage>()
            .Produces<AdminMessage>(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer(AdminOpenApi.DescribeEventQuery);

        // HEAD answers as GET without a body (what HTTP asks of a server; monitors and curl -I use it). Not in the
        // document: the same operations.
        admin.MapMethods("/users/{userId}/sessions", [HttpMethods.Head], ListSessionsAsync).ExcludeFromDescription();
        admin.MapMethods("/events", [HttpMethods.Head], ListEventsAsync).ExcludeFromDescription();
    }

    /// <summary>What any admin operation may answer: 401 without the key, 503 in a store outage.</summary>
    private static RouteHandlerBuilder WithCommonAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<AdminMessage>(StatusCodes.Status401Unauthorized)
        .Produces<AdminMessage>(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> ListSessionsAsync(
        [Description("The user id (percent-encoded: '/' as %2F)")] string userId, HttpContext context, SessionEngine engine)
    {
        if (AdminPathValue.Read(context, ValueSegment) is not { } user)
        {
            return BadRequest(PathNotNormal);
        }

        var listed = await engine.ListSessionsAsync(user, context.RequestAborted);
        if (listed.IsUnavailable)
        {
            return Unavailable(context);
        }

        var sessions = new List<AdminSession>(listed.Value!.Count);
        foreach (var session in listed.Value)
        {
            sessions.Add(new AdminSession(
                session.SessionHandle,
                session.CreatedAt.ToUniversalTime(),
                session.LastRefreshedAt?.ToUniversalTime(),
                session.ExpiresAt.ToUniversalTime(),
                ClaimsOf(session.CustomClaimsJson),
                AdminClient.Of(session.CreatedBy),
                AdminClient.Of(session.RefreshedBy)));
        }

        return TypedResults.Ok(sessions);
    }

    private static async Task<IResult> RevokeAllAsync(
        [Description("The user id (percent-encoded: '/' as %2F)")] string userId, HttpContext context, SessionEngine engine)
    {
        if (AdminPathValue.Read(context, ValueSegment) is not { } user)
        {
            return BadRequest(PathNotNormal);
        }

        var revoked = await engine.RevokeAllForUserAsync(user, RequestClient.Of(context), context.RequestAborted);
        return revoked.IsUnavailable ? Unavailable(context) : TypedResults.Ok(new RevokedSessions(revoked.Value));
    }

    private static async Task<IResult> RevokeAsync(
        [Description("The session handle")] string handle, HttpContext context, SessionEngine engine)
    {
        if (AdminPathValue.Read(context, ValueSegment) is not { } session)
        {
            return BadRequest(PathNotNormal);
        }

        // An expired session the sweeper has not removed yet is no live session (the list does not show it either):
        // 404, and no revocation event. A session that expires between the two calls is revoked (milliseconds).
        var live = await engine.IsLiveAsync(session, context.RequestAborted);
        if (live.IsUnavailable)
        {
            return Unavailable(context);
        }

        if (!live.Value)
        {
            return TypedResults.Json(UnknownSession, statusCode: StatusCodes.Status404NotFound);
        }

        var revoked = await engine.RevokeAsync(session, SessionEngine.RevokedAuditKind, RequestClient.Of(context), context.RequestAborted);
        if (revoked.IsUnavailable)
        {
            return Unavailable(context);
        }

        return revoked.Value ? TypedResults.NoContent() : TypedResults.Json(UnknownSession, statusCode: StatusCodes.Status404NotFound);
    }

    // The parameters are declared for the OpenAPI document; AdminEventsQuery reads the query itself, so that a bad
    // value gets a message naming it instead of the framework's generic binding failure.
    private static async Task<IResult> ListEventsAsync(
        HttpContext context,
        SessionEngine engine,
        [FromQuery, Description("Only events at or after this ISO 8601 time (2026-11-27T09:30:00Z, or a date: 2026-11-27; an offset's '+' as %2B)")] string? since = null,
        [FromQuery, Description("Only these types (repeat, or separate with commas): session.created, session.signed_out, session.revoked, session.theft_detected")] string[]? type = null,
        [FromQuery, Description("Only this user's events")] string? userId = null,
        [FromQuery, Description("At most this many events, 1 to 1000 (default 100)")] string? limit = null,
        [FromQuery, Description("A cursor: the 'next' of the previous page, or the 'cursor' of the last event you have (opaque)")] string? after = null)
    {
        var (query, problem) = AdminEventsQuery.Parse(context.Request.Query);
        if (query is null)
        {
            return BadRequest(new AdminMessage(problem!));
        }

        var listed = await engine.ListEventsAsync(query, context.RequestAborted);
        if (listed.IsUnavailable)
        {
            return Unavailable(context);
        }

        var events = new List<AdminEvent>(listed.Value!.Count);
        foreach (var e in listed.Value)
        {
            events.Add(new AdminEvent(
                e.Id,
                AdminEventsQuery.FormatCursor(e.Cursor),
                SessionEventTypes.TypeOf(e.Kind),
                SessionEventTypes.KindOf(e.Kind),
                e.UserId,
                e.SessionHandle,
                e.OccurredAt.ToUniversalTime(),
                e.Client?.Address,
                e.Client?.UserAgent));
        }

        // A full page may be followed by more; a short one is the end for now: new events come after its last cursor.
        var next = events.Count == query.Limit ? events[^1].Cursor : null;
        return TypedResults.Ok(new AdminEventPage(events, next));
    }

    /// <summary>The custom claims as a JSON object; <c>{}</c> when there are none.</summary>
    private static JsonElement ClaimsOf(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return EmptyObject;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : EmptyObject;
        }
        catch (JsonException)
        {
            return EmptyObject;
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static JsonHttpResult<AdminMessage> BadRequest(AdminMessage message) => TypedResults.Json(message, statusCode: StatusCodes.Status400BadRequest);

    private static JsonHttpResult<AdminMessage> Unavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Json(StoreUnavailable, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
