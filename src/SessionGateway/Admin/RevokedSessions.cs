namespace SessionGateway.Admin;

/// <summary>The answer of <c>DELETE /admin/users/{userId}/sessions</c>.</summary>
/// <param name="Revoked">How many live sessions were revoked (0 when the user had none).</param>
internal sealed record RevokedSessions(int Revoked);
