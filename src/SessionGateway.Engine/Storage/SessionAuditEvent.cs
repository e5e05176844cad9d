namespace SessionGateway.Storage;

/// <summary>An audit trail entry (for example a detected token theft). Never carries token values.</summary>
internal sealed record SessionAuditEvent(string Kind, string UserId, string SessionHandle, DateTimeOffset OccurredAt);
