using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Webhooks;

/// <summary>Registers the webhook sender when <c>Session:Webhooks:Url</c> is set (after the session engine, whose store holds the outbox).</summary>
internal static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, WebhookSettings settings, string configDirectory)
    {
        // Not enabled, or not usable (the validator reports why, and the gateway does not start).
        if (!settings.Enabled || !Uri.TryCreate(settings.Url, UriKind.Absolute, out var url) ||
            settings.LoadKey(configDirectory, problems: []) is not { } key)
        {
            return services;
        }

        var target = new WebhookTarget(url, key, settings.Timeout, settings.RetryFor)
        {
            ExposedSecretFile = settings.ExposedSecretFile(configDirectory),
        };
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton(provider => new WebhookSender(
            provider.GetRequiredService<ISessionStore>(),
            provider.GetRequiredService<WebhookSignal>(),
            target,
            WebhookSender.CreateHandler(target.Timeout),
            provider.GetRequiredService<WebhookMetrics>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<WebhookSender>>()));
        services.AddHostedService(static provider => provider.GetRequiredService<WebhookSender>());
        return services;
    }
}
