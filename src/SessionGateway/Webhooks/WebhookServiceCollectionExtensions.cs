using System.Runtime.CompilerServices;
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

        AddSender(services, settings, configDirectory, url, key);
        return services;
    }

    // Not inlined into the caller: precompiled code loads the assemblies of the types a method names before it runs
    // (the sender's resilience pipeline is Polly's), which would otherwise happen at every start, webhooks or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddSender(IServiceCollection services, WebhookSettings settings, string configDirectory, Uri url, byte[] key)
    {
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
    }
}
