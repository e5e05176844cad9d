using Microsoft.AspNetCore.Authorization;
using SessionGateway.Configuration;
using SessionGateway.RateLimiting;

namespace SessionGateway.SignIn;

/// <summary>Registers and maps the users-file sign-in; without <c>Session:Login:UsersFile</c>, nothing.</summary>
internal static class SignInExtensions
{
    public static IServiceCollection AddUsersFileSignIn(this IServiceCollection services, LoginSettings login, string configDirectory)
    {
        if (UsersFileLoader.Resolve(login, configDirectory) is not { } path)
        {
            return services;
        }

        // File events come on the real clock whatever clock the sessions use (tests swap in a fake one).
        services.AddSingleton(sp => new UsersFile(path, TimeProvider.System, sp.GetRequiredService<ILogger<UsersFile>>()));
        services.AddSingleton<SignInEndpoint>();
        return services;
    }

    /// <summary>Maps the sign-in path (every method, so other methods are our 405, not forwarded) when a users file is configured.</summary>
    public static void MapUsersFileSignIn(this IEndpointRouteBuilder endpoints, SessionSettings settings, int order)
    {
        if (endpoints.ServiceProvider.GetService<SignInEndpoint>() is not { } signIn)
        {
            return;
        }

        signIn.Users.Watch();
        var mapped = endpoints.Map(settings.Login.SignInPath, signIn.InvokeAsync)
            .WithOrder(order).WithDisplayName("users-file sign-in").WithMetadata(new AllowAnonymousAttribute());
        if (settings.RateLimits.Login.Enabled)
        {
            mapped.RequireRateLimiting(SessionRateLimits.LoginPolicy);
        }
    }
}
