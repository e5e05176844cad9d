using System.Diagnostics;

namespace SessionGateway.Telemetry;

/// <summary>
/// The gateway's spans, on the <c>SessionGateway</c> activity source (the engine's store spans share the name). Each
/// is a child of the request's span (ASP.NET Core's <c>Microsoft.AspNetCore.Hosting.HttpRequestIn</c>). Without a
/// tracing provider (OTLP not configured) nothing listens and <c>StartActivity</c> returns null at the cost of a check.
/// </summary>
internal static class GatewaySpans
{
    public static readonly ActivitySource Source = new(EngineTelemetry.Name);

    /// <summary>Authentication of a routed request and its route's access decision.</summary>
    public const string Authenticate = "sessiongateway.authenticate";

    /// <summary>The refresh endpoint's work (the rotation and its store calls are children).</summary>
    public const string Refresh = "sessiongateway.refresh";

    /// <summary>A session created from an upstream's login response.</summary>
    public const string Login = "sessiongateway.login";

    /// <summary>The sign-out endpoint's work.</summary>
    public const string SignOut = "sessiongateway.signout";

    /// <summary>The attribute naming the outcome of a span's work, with the same values as the matching counter.</summary>
    public const string OutcomeAttribute = "sessiongateway.outcome";
}
