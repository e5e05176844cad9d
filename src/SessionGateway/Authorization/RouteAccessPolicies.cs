using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authorization;

namespace SessionGateway.Authorization;

/// <summary>
/// The <see cref="RouteAccess"/> of each endpoint, combined the way ASP.NET Core's authorization middleware combines
/// it (the endpoint's <see cref="IAuthorizeData"/>, <see cref="AuthorizationPolicy"/> and requirement metadata
/// through <see cref="IAuthorizationPolicyProvider"/>; the fallback policy when there is none;
/// <see cref="IAllowAnonymous"/> lets everything through), but once per endpoint instead of once per request.
/// Policies are read at start (a change to <c>Session:Policies</c> needs a restart) and YARP builds new endpoints
/// when routes change, so an endpoint's access never goes stale; entries go with their endpoints.
/// </summary>
internal sealed class RouteAccessPolicies(IAuthorizationPolicyProvider provider)
{
    private readonly ConditionalWeakTable<Endpoint, RouteAccess> _byEndpoint = [];
    private RouteAccess? _withoutEndpoint;

    /// <summary>The access of <paramref name="endpoint"/> when it has been worked out before.</summary>
    public bool TryGet(Endpoint? endpoint, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RouteAccess? access)
    {
        if (endpoint is null)
        {
            access = _withoutEndpoint;
            return access is not null;
        }

        return _byEndpoint.TryGetValue(endpoint, out access);
    }

    /// <summary>Works out the access of <paramref name="endpoint"/> (no endpoint: the fallback policy) and remembers it.</summary>
    public async ValueTask<RouteAccess> ResolveAsync(Endpoint? endpoint)
    {
        var metadata = endpoint?.Metadata;
        RouteAccess access;
        if (metadata?.GetMetadata<IAllowAnonymous>() is not null)
        {
            access = RouteAccess.Anonymous;
        }
        else
        {
            var policy = await AuthorizationPolicy.CombineAsync(
                provider,
                metadata?.GetOrderedMetadata<IAuthorizeData>() ?? [],
                metadata?.GetOrderedMetadata<AuthorizationPolicy>() ?? []);
            var requirements = metadata?.GetOrderedMetadata<IAuthorizationRequirementData>() ?? [];
            if (requirements.Count > 0)
            {
                var builder = policy is null ? new AuthorizationPolicyBuilder() : new AuthorizationPolicyBuilder(policy);
                foreach (var data in requirements)
                {
                    builder.AddRequirements([.. data.GetRequirements()]);
                }

                policy = builder.Build();
            }

            access = RouteAccess.For(policy);
        }

        if (endpoint is null)
        {
            _withoutEndpoint = access;
        }
        else
        {
            _byEndpoint.AddOrUpdate(endpoint, access);
        }

        return access;
    }
}
