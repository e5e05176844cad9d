using System.Text.Json;
using Microsoft.AspNetCore.Authorization;

namespace SessionGateway.Authorization;

/// <summary>
/// Meets a <see cref="ClaimRequirement"/> when the claim equals an allowed value, or, for a JSON array claim
/// (<c>"roles": ["admin", "ops"]</c>), when the array contains one.
/// </summary>
internal sealed class ClaimRequirementHandler : AuthorizationHandler<ClaimRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ClaimRequirement requirement)
    {
        var value = context.User.FindFirst(requirement.Claim)?.Value;
        if (value is not null && Satisfies(value, requirement.AllowedValues))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    private static bool Satisfies(string value, IReadOnlyList<string> allowed)
    {
        foreach (var candidate in allowed)
        {
            if (string.Equals(value, candidate, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (value.StartsWith('['))
        {
            try
            {
                using var document = JsonDocument.Parse(value);
                foreach (var item in document.RootElement.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && allowed.Contains(item.GetString()!, StringComparer.Ordinal))
                    {
                        return true;
                    }
                }
            }
            catch (JsonException)
            {
                return false;
            }
        }

        return false;
    }
}
