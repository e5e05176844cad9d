using System.Text;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionGateway.Configuration;

namespace SessionGateway.ForwardAuth;

/// <summary>Registration and the two places in the request path of the forward-auth decision endpoint.</summary>
internal static class ForwardAuthExtensions
{
    public static IServiceCollection AddForwardAuth(this IServiceCollection services, ForwardAuthSettings settings)
    {
        if (settings.Enabled && TrustedProxies.TryParse(settings.EffectiveTrustedProxies, out _, out _))
        {
            services.AddSingleton(new ForwardAuthEndpoint(settings));
            services.TryAddSingleton(TimeProvider.System);

            // The original URI arrives in a header: read byte for byte (Latin-1), so a byte that is not ASCII is the
            // decision endpoint's 400 (mapped for nginx) rather than Kestrel's bare 400, which nginx turns into a 500.
            services.Configure<KestrelServerOptions>(kestrel => kestrel.RequestHeaderEncodingSelector = static name =>
                name.Equals(ForwardAuthHeaders.OriginalUri, StringComparison.OrdinalIgnoreCase) ||
                name.Equals(ForwardAuthHeaders.OriginalUrl, StringComparison.OrdinalIgnoreCase) ||
                name.Equals(ForwardAuthHeaders.ForwardedUri, StringComparison.OrdinalIgnoreCase)
                    ? Encoding.Latin1
                    : null);
        }

        return services;
    }

    /// <summary>
    /// First in the request path: decision requests become the request they ask about. Then the client's address from
    /// <c>X-Forwarded-For</c>, believed from the trusted proxies only (ASP.NET Core's forwarded-headers middleware), so
    /// rate limits and logs see the client behind the ingress rather than the ingress. After the decision step, which
    /// judges trust on the connection's own address.
    /// </summary>
    public static void UseForwardAuth(this WebApplication app)
    {
        if (app.Services.GetService<ForwardAuthEndpoint>() is not { } endpoint)
        {
            return;
        }

        app.UseMiddleware<ForwardAuthMiddleware>();
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = null };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in endpoint.Proxies.Networks)
        {
            forwarded.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(forwarded);
    }

    /// <summary>After the route's policy: answers the decision requests it let through.</summary>
    public static void UseForwardAuthAnswers(this WebApplication app)
    {
        if (app.Services.GetService<ForwardAuthEndpoint>() is not null)
        {
            app.UseMiddleware<ForwardAuthAnswerMiddleware>();
        }
    }
}
