using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SessionGateway.Authentication;
using SessionGateway.Configuration;
using SessionGateway.RateLimiting;

namespace SessionGateway.Oidc;

/// <summary>Registers one OpenID Connect scheme per configured provider and maps the login endpoints.</summary>
internal static class OidcExtensions
{
    // Lower order wins, as for the other endpoints the gateway answers itself: never forwarded.
    private const int BeforeEveryRoute = int.MinValue;

    public static IServiceCollection AddOidcLogin(this IServiceCollection services, SessionSettings settings, string configDirectory)
    {
        var oidc = settings.Oidc;
        services.AddSingleton(new BrowserNavigation(oidc.Enabled ? oidc.RedirectUnauthenticated : null));
        if (oidc.Enabled)
        {
            AddProviders(services, oidc, configDirectory);
        }

        return services;
    }

    // Not inlined into the caller: precompiled code loads the assemblies of the types a method names before it runs,
    // and the OpenID Connect handler's would otherwise be loaded at every start, used or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddProviders(IServiceCollection services, OidcSettings oidc, string configDirectory)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("SessionGateway");
        if (!string.IsNullOrEmpty(oidc.KeysDirectory))
        {
            // Shared by every replica (a shared volume), so a login started on one can finish on another.
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(oidc.KeysDirectory, configDirectory)));
        }

        services.AddSingleton<OidcLoginEvents>();
        services.AddSingleton<OidcEndpoints>();
        var authentication = services.AddAuthentication(SessionAuthenticationDefaults.AuthenticationScheme);
        foreach (var (name, provider) in oidc.Providers)
        {
            authentication.AddOpenIdConnect(OidcPaths.Scheme(name), name, options =>
            {
                options.Authority = provider.Authority;
                var authority = new Uri(provider.Authority!);
                // An http:// authority passed validation only on a loopback address (development and tests).
                options.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps || !authority.IsLoopback;
                options.ClientId = provider.ClientId;
                options.ClientSecret = provider.ResolveSecret(configDirectory);
                options.ResponseType = OpenIdConnectResponseType.Code;
                options.UsePkce = true;
                // The answer comes back in the query of a top-level GET navigation: SameSite=Lax cookies (the
                // correlation and nonce cookies) are sent with it, also on plain http for development. form_post
                // would need SameSite=None, which browsers accept only with Secure.
                options.ResponseMode = OpenIdConnectResponseMode.Query;
                options.CorrelationCookie.SameSite = SameSiteMode.Lax;
                options.NonceCookie.SameSite = SameSiteMode.Lax;
                options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.CallbackPath = OidcPaths.CallbackPrefix + name;
                options.SignedOutCallbackPath = OidcPaths.LogoutCallbackPrefix + name;
                // Never answered (the path is not mapped): front-channel logout would sign out of a cookie scheme.
                options.RemoteSignOutPath = OidcPaths.LogoutCallbackPrefix + name + "/front-channel";
                options.Scope.Clear();
                foreach (var scope in provider.EffectiveScopes)
                {
                    options.Scope.Add(scope);
                }

                options.GetClaimsFromUserInfoEndpoint = true;
                // Claims keep the provider's names ("sub", "groups"), which Session:Oidc:Providers:*:Claims names.
                options.MapInboundClaims = false;
                options.SaveTokens = false;
                options.BackchannelTimeout = TimeSpan.FromSeconds(10);
                options.RemoteAuthenticationTimeout = TimeSpan.FromMinutes(15);
            });
            services.AddOptions<OpenIdConnectOptions>(OidcPaths.Scheme(name)).Configure<OidcLoginEvents>((options, events) => options.Events = events.For(name, provider));
        }
    }

    public static void MapOidcEndpoints(this IEndpointRouteBuilder endpoints, SessionSettings settings)
    {
        if (!settings.Oidc.Enabled)
        {
            return;
        }

        var handlers = endpoints.ServiceProvider.GetRequiredService<OidcEndpoints>();
        foreach (var (name, provider) in settings.Oidc.Providers)
        {
            var login = endpoints.Map(OidcPaths.Login(name), context => handlers.StartAsync(context, name))
                .WithOrder(BeforeEveryRoute).WithDisplayName("OpenID Connect login " + name).WithMetadata(new AllowAnonymousAttribute());
            var callback = endpoints.Map(OidcPaths.CallbackPrefix + name, context => handlers.CallbackAsync(context, name))
                .WithOrder(BeforeEveryRoute).WithDisplayName("OpenID Connect callback " + name).WithMetadata(new AllowAnonymousAttribute());
            endpoints.Map(OidcPaths.LogoutCallbackPrefix + name, context => handlers.CallbackAsync(context, name))
                .WithOrder(BeforeEveryRoute).WithDisplayName("OpenID Connect signed-out callback " + name).WithMetadata(new AllowAnonymousAttribute());
            endpoints.Map(OidcPaths.LogoutPrefix + name, context => handlers.LogoutAsync(context, name, provider))
                .WithOrder(BeforeEveryRoute).WithDisplayName("OpenID Connect logout " + name).WithMetadata(new AllowAnonymousAttribute());
            if (settings.RateLimits.Login.Enabled)
            {
                login.RequireRateLimiting(SessionRateLimits.LoginPolicy);
                callback.RequireRateLimiting(SessionRateLimits.LoginPolicy);
            }
        }
    }
}
