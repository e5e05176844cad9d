namespace SessionGateway.Configuration;

/// <summary>The gateway's own settings: the <c>Session</c> section of proxy.yaml.</summary>
internal sealed record SessionSettings
{
    public const string SectionName = "Session";

    /// <summary>Identity headers the gateway owns: stripped from every client request, set from the session.</summary>
    public IdentityHeaderSettings Headers { get; init; } = new();
}
