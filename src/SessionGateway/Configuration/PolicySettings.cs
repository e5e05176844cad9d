namespace SessionGateway.Configuration;

/// <summary>A named authorization policy: a session plus claim values (<c>role: admin</c>; <c>role: admin,ops</c> for any of).</summary>
internal sealed record PolicySettings
{
    public IReadOnlyDictionary<string, string> RequireClaims { get; set; } = new Dictionary<string, string>();
}
