using Microsoft.Extensions.Options;
using SessionGateway.Configuration;

namespace SessionGateway.Authentication;

/// <summary>Registers the session authentication scheme as the default scheme.</summary>
internal static class SessionAuthenticationExtensions
{
    /// <summary>
    /// Adds the <c>Session</c> scheme, configured from the <c>Session</c> section and refreshed when proxy.yaml
    /// is reloaded (the expired status and anti-CSRF mode apply to the next request).
    /// </summary>
    public static IServiceCollection AddSessionAuthentication(this IServiceCollection services, IConfigurationSection sessionSection)
    {
        services.AddSingleton<SessionAuthenticator>();
        services.AddAuthentication(SessionAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<SessionAuthenticationOptions, SessionAuthenticationHandler>(SessionAuthenticationDefaults.AuthenticationScheme, configureOptions: null);
        services.AddOptions<SessionAuthenticationOptions>(SessionAuthenticationDefaults.AuthenticationScheme).Configure<SessionSettingsBinder>((options, binder) =>
        {
            // The section as bound once for this version of the configuration (a reload renews it).
            var settings = binder.Current;
            options.ExpiredStatusCode = settings.ExpiredStatusCode;
            options.AntiCsrf = settings.ResolveAntiCsrf();
            options.AllowedOrigins = settings.Cors.AllowedOrigins;
        });
        services.AddSingleton<IOptionsChangeTokenSource<SessionAuthenticationOptions>>(
            new ConfigurationChangeTokenSource<SessionAuthenticationOptions>(SessionAuthenticationDefaults.AuthenticationScheme, sessionSection));
        return services;
    }
}
