using Microsoft.Extensions.Options;

namespace SessionGateway.Configuration;

/// <summary>
/// Builds <c>IOptions</c>/<c>IOptionsMonitor&lt;SessionSettings&gt;</c> from <see cref="SessionSettingsBinder"/>
/// instead of binding the section again for each; the monitor still renews on a reload (its change token source
/// is the section's).
/// </summary>
internal sealed class SessionSettingsOptionsFactory(SessionSettingsBinder binder) : IOptionsFactory<SessionSettings>
{
    public SessionSettings Create(string name) => binder.Current;
}
