namespace SessionGateway.ForwardAuth;

/// <summary>
/// Marks a decision request, rewritten into the original request it asks about: the steps after routing answer it
/// instead of forwarding it.
/// </summary>
internal sealed record ForwardAuthFeature(ForwardAuthShape Shape);
