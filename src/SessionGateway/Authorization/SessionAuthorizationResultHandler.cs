using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using SessionGateway.Transport;

namespace SessionGateway.Authorization;

/// <summary>
/// Answers a session that lacks a required claim with 403 and the claims that failed, in the shape the
/// SuperTokens SDKs expect (<c>{"message":"invalid claim","claimValidationErrors":[...]}</c>); everything else
/// goes to the framework's default handling (challenge: our authentication handler's 401/440).
/// </summary>
internal sealed class SessionAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var errors = new List<object>();
        foreach (var requirement in authorizeResult.AuthorizationFailure?.FailedRequirements ?? [])
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
        await JsonResponses.WriteAsync(context.Response, StatusCodes.Status403Forbidden, body);
    }
}
