namespace SessionGateway.Configuration;

/// <summary>
/// The signed identity assertion (<c>Session:Assertion</c>): a short-lived JWT, signed with the gateway's keys, that
/// the gateway adds to requests it forwards on routes that opt in (route metadata <c>SessionAssertion: "true"</c>, or
/// every route with <see cref="AllRoutes"/>), so an upstream can check that the identity came from the gateway. Read
/// at start; route metadata follows reloads of the routes.
/// </summary>
internal sealed record AssertionSettings
{
    /// <summary>Route metadata: <c>"true"</c> adds the assertion on the route, <c>"false"</c> keeps it off (also with <see cref="AllRoutes"/>).</summary>
    public const string RouteMetadataKey = "SessionAssertion";

    /// <summary>Route metadata: the assertion's <c>aud</c> on the route (default: the route's cluster id).</summary>
    public const string AudienceMetadataKey = "SessionAssertionAudience";

    /// <summary>The longest <see cref="Lifetime"/>: an assertion cannot be revoked, so it must not outlive a sign-out by much.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The request header that carries the assertion upstream. The gateway owns it: a client's is always stripped.</summary>
    public string Header { get; set; } = "X-Session-Assertion";

    /// <summary>Adds the assertion on every route with a session, except routes with metadata <c>SessionAssertion: "false"</c>.</summary>
    public bool AllRoutes { get; set; }

    /// <summary>How long an assertion is valid (whole seconds, 1 s to 60 s); never past the access token's expiry.</summary>
    public TimeSpan Lifetime { get; set; } = MaxLifetime;

    /// <summary>Session claim names copied into the assertion. Unset: the claim names of <c>Session:Headers:Claims</c>.</summary>
    public IReadOnlyList<string>? Claims { get; set; }

    /// <summary>The session claims the assertion carries: <see cref="Claims"/>, or when unset the claims <paramref name="headers"/> maps to headers.</summary>
    public IReadOnlyList<string> ClaimNames(IdentityHeaderSettings headers) =>
        Claims ?? [.. headers.Claims.Keys.Order(StringComparer.Ordinal)];
}
