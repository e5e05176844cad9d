namespace SessionGateway.Configuration;

/// <summary>
/// How the gateway treats request paths that different servers read differently (<c>Session:Paths</c>). Routes
/// and policies judge the path after these rules, and the upstream receives exactly that path; anything a rule
/// refuses is answered 400 before routing. The defaults refuse every spelling that a common upstream would
/// resolve to another path than the one the gateway judged.
/// </summary>
internal sealed record PathSettings
{
    /// <summary>Collapse <c>//</c> into <c>/</c> before routing (what Spring, nginx and most file servers do).</summary>
    public bool MergeSlashes { get; set; } = true;

    /// <summary>What to do with an encoded slash (<c>%2F</c>) in the path.</summary>
    public EscapedSlashAction EscapedSlashes { get; set; } = EscapedSlashAction.Reject;

    /// <summary>What to do with a <c>;</c> (a path parameter, as in <c>/admin;jsessionid=1/x</c>) in the path.</summary>
    public AmbiguousPathAction PathParameters { get; set; } = AmbiguousPathAction.Reject;

    /// <summary>What to do with a <c>\</c> (or <c>%5C</c>) in the path.</summary>
    public AmbiguousPathAction Backslashes { get; set; } = AmbiguousPathAction.Reject;
}
