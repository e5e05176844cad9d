using Microsoft.AspNetCore.Authorization;
using SessionGateway.Configuration;

namespace SessionGateway.Authorization;

/// <summary>Registers the gateway's route policies on ASP.NET Core authorization.</summary>
internal static class SessionAuthorizationExtensions
{
    /// <summary>
    /// <c>default</c> (and any route without a policy: fail closed) requires a session; <c>anonymous</c> is YARP's
    /// built-in; each <c>Session:Policies</c> entry requires a session plus its claim values.
    /// </summary>
    public static IServiceCollection AddSessionAuthorization(this IServiceCollection services, SessionSettings settings)
    {
        services.AddSingleton<IAuthorizationHandler, ClaimRequirementHandler>();
        services.AddSingleton<RouteAccessPolicies>();
        services.AddAuthorization(options =>
        {
            // No scheme named on the policies: the session scheme is the default one, so the authentication
            // middleware has already set HttpContext.User, and naming it again would make the policy evaluator
            // authenticate a second time and merge the principal into a new one on every request.
            var sessionRequired = new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .Build();
            options.DefaultPolicy = sessionRequired;
            options.FallbackPolicy = sessionRequired;
            foreach (var (name, policy) in settings.Policies)
            {
                var builder = new AuthorizationPolicyBuilder().RequireAuthenticatedUser();
                foreach (var (claim, values) in policy.RequireClaims)
                {
                    builder.AddRequirements(ClaimRequirement.Parse(claim, values));
                }

                options.AddPolicy(name, builder.Build());
            }
        });
        return services;
    }
}
