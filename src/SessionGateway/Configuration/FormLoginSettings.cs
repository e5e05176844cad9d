using System.Text.RegularExpressions;

namespace SessionGateway.Configuration;

/// <summary>
/// Legacy login forms (<c>Session:Login:Form</c>): on a route with metadata <c>SessionLogin: "form"</c>, the app's own
/// login POST is forwarded untouched, and when the app's answer says success the gateway creates a session for the
/// user name that was submitted in <see cref="UserField"/>. Read per request: a reload applies to the next login.
/// </summary>
internal sealed record FormLoginSettings
{
    /// <summary>The route metadata value (<c>SessionLogin: "form"</c>) that makes a route a form login.</summary>
    public const string RouteMetadataValue = "form";

    /// <summary>The most of a login form the gateway reads (and holds in memory) to find the user name: 64 KiB.</summary>
    public const int MaxFormBytes = 64 * 1024;

    /// <summary>How long <see cref="FailureLocation"/> may take on one <c>Location</c>; longer counts as a failed login.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Options <see cref="FailureLocation"/> is compiled with (at config time and per login alike).</summary>
    public const RegexOptions FailureLocationOptions = RegexOptions.CultureInvariant;

    /// <summary>The <see cref="FailureLocation"/> in force when none is written.</summary>
    public const string DefaultFailureLocation = "(?i)(error|fail|login)";

    private static readonly IReadOnlyList<int> DefaultSuccessStatus = [302, 303];

    /// <summary>The form field that holds the user name (the session's user id).</summary>
    public string UserField { get; set; } = "username";

    /// <summary>The statuses of the app's answer that can mean success. Unset: <c>[302, 303]</c>.</summary>
    public IReadOnlyList<int>? SuccessStatus { get; set; }

    /// <summary>A .NET regular expression: a success status whose <c>Location</c> matches it is a failed login.</summary>
    public string FailureLocation { get; set; } = DefaultFailureLocation;

    /// <summary><see cref="SuccessStatus"/>, or its default when unset.</summary>
    public IReadOnlyList<int> EffectiveSuccessStatus => SuccessStatus ?? DefaultSuccessStatus;
}
