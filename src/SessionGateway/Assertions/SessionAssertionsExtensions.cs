using SessionGateway.Configuration;
using SessionGateway.Tokens;

namespace SessionGateway.Assertions;

/// <summary>Registers the signed identity assertion.</summary>
internal static class SessionAssertionsExtensions
{
    /// <summary>
    /// Adds <see cref="SessionAssertions"/> (singleton) with <paramref name="settings"/>, the settings in force at start.
    /// It needs the session engine's <see cref="AssertionIssuer"/> (<c>AddSessionEngine</c>).
    /// </summary>
    public static IServiceCollection AddSessionAssertions(this IServiceCollection services, SessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(provider => new SessionAssertions(
            settings,
            provider.GetRequiredService<AssertionIssuer>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SessionAssertions>>()));
        return services;
    }
}
