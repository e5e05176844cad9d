using System.Text.Json;

namespace SessionGateway.Admin;

/// <summary>
/// One live session in <c>GET /admin/users/{userId}/sessions</c>: no token, hash or anti-CSRF value. Field names are
/// shared with the user's own list (<c>GET /api/sessions</c>), which adds <c>current</c>.
/// </summary>
/// <param name="Handle">The session handle (what <c>DELETE /admin/sessions/{handle}</c> takes).</param>
/// <param name="CreatedAt">When the user signed in.</param>
/// <param name="LastRefreshAt">The last refresh-token rotation; null before the first.</param>
/// <param name="ExpiresAt">When the session ends unless refreshed (cut at the idle timeout and absolute lifetime).</param>
/// <param name="Claims">The session's custom claims, as the login set them.</param>
/// <param name="CreatedBy">The client seen at sign-in; null when unknown.</param>
/// <param name="LastRefreshBy">The client seen at the last refresh; null before the first.</param>
internal sealed record AdminSession(
    string Handle,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastRefreshAt,
    DateTimeOffset ExpiresAt,
    JsonElement Claims,
    AdminClient? CreatedBy,
    AdminClient? LastRefreshBy);
