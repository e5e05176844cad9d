namespace SessionGateway.ForwardAuth;

/// <summary>
/// The request a proxy asks about. <see cref="Host"/> and <see cref="Scheme"/> are null when the decision request's own
/// apply; <see cref="PathAndQuery"/> is as the client sent it (percent-encoded).
/// </summary>
internal sealed record OriginalRequest(ForwardAuthShape Shape, string Method, string? Scheme, string? Host, string PathAndQuery);
