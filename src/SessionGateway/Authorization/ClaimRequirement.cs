using Microsoft.AspNetCore.Authorization;

namespace SessionGateway.Authorization;

/// <summary>The session must carry claim <see cref="Claim"/> with one of <see cref="AllowedValues"/>.</summary>
internal sealed record ClaimRequirement(string Claim, IReadOnlyList<string> AllowedValues) : IAuthorizationRequirement
{
    /// <summary>Parses <c>admin</c> or <c>admin,ops</c> (any of).</summary>
    public static ClaimRequirement Parse(string claim, string values) =>
        new(claim, values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
