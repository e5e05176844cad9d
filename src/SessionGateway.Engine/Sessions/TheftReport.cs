namespace SessionGateway.Sessions;

/// <summary>Who was affected by a detected theft (for the response, audit and notifications). No token values.</summary>
internal sealed record TheftReport(string UserId, string SessionHandle, TheftKind Kind);
