using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using SessionGateway.Transport;

namespace SessionGateway.Authorization;

/// <summary>
/// The answer to a session that lacks a required claim: 403 and the claims that failed, in the shape the SuperTokens
/// SDKs expect (<c>{"message":"invalid claim","claimValidationErrors":[...]}</c>).
/// </summary>
internal static class ClaimFailures
{
    public static Task WriteAsync(HttpContext context, AuthorizationFailure? failure)
    {
        var errors = new List<object>();
        foreach (var requirement in failure?.FailedRequirements ?? [])
        {
            if (requirement is ClaimRequirement claim)
            {
                errors.Add(new
                {
                    id = claim.Claim,
                    reason = new
                    {
                        message = "wrong value",
                        expectedToBeOneOf = claim.AllowedValues,
                        actualValue = context.User.FindFirst(claim.Claim)?.Value,
                    },
                });
            }
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new { message = "invalid claim", claimValidationErrors = errors });
        return JsonResponses.WriteAsync(context.Response, StatusCodes.Status403Forbidden, body);
    }
}
