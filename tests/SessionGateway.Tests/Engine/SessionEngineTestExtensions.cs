using System.Text.Json;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine;

internal static class SessionEngineTestExtensions
{
    /// <summary>Creates a session on a store that is up; an outage here is a broken test setup.</summary>
    public static async Task<IssuedSession> CreateLiveAsync(
        this SessionEngine engine,
        string userId,
        IReadOnlyDictionary<string, JsonElement>? customClaims,
        bool withAntiCsrfToken,
        CancellationToken cancellationToken)
    {
        var created = await engine.CreateAsync(userId, customClaims, withAntiCsrfToken, cancellationToken);
        return created.Value ?? throw new InvalidOperationException("the session store was unavailable");
    }
}
