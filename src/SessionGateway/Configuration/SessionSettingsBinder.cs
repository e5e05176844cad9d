using Microsoft.Extensions.Primitives;

namespace SessionGateway.Configuration;

/// <summary>
/// The <c>Session</c> section bound once per version of the configuration and shared: the start-up, the validator,
/// <c>IOptions</c>/<c>IOptionsMonitor&lt;SessionSettings&gt;</c> and the authentication options all read the same
/// object: a start used to bind the section five times. (The bind itself is source-generated, see
/// <see cref="GatewayConfigValidator.TryBind"/>.) A reload (or a source added to the configuration) fires the reload
/// token taken before the bind, and the next read binds again.
/// </summary>
internal sealed class SessionSettingsBinder(IConfiguration configuration)
{
    private Bound? _bound;

    /// <summary>The settings in force; throws when the section does not bind (the validator reports why first).</summary>
    public SessionSettings Current => TryGet()!;

    /// <summary>The settings in force, or null when <paramref name="mayFail"/> and a value does not convert.</summary>
    public SessionSettings? TryGet(bool mayFail = false)
    {
        var bound = Volatile.Read(ref _bound);
        if (bound is not null && !bound.Token.HasChanged)
        {
            return bound.Settings;
        }

        // The token first: a reload during the bind then makes the next read bind again.
        var token = configuration.GetReloadToken();
        if (GatewayConfigValidator.TryBind(configuration, mayFail) is not { } settings)
        {
            return null;
        }

        Volatile.Write(ref _bound, new Bound(settings, token));
        return settings;
    }

    private sealed record Bound(SessionSettings Settings, IChangeToken Token);
}
