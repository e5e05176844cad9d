using System.Diagnostics;
using System.Net;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>Measures how long a revocation takes to reach a replica, as a client sees it.</summary>
internal static class RevocationProbe
{
    /// <summary>How soon every replica must refuse a revoked session's access tokens.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    // Polls well past the limit (measured from the revoking answer), so a slow propagation is measured and reported
    // rather than only failed.
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Sends <paramref name="accessToken"/> to <paramref name="replica"/> every 20 ms until it is refused with the
    /// session-expired status and "try refresh token"; returns <paramref name="since"/>'s reading at that moment.
    /// Any answer other than 200 (still accepted) or 440 fails.
    /// </summary>
    public static async Task<TimeSpan> TimeUntilRefusedAsync(GatewayProcess replica, TokenMode mode, string accessToken, Stopwatch since)
    {
        var client = new SessionClient(replica.Client, mode);
        var lastStatus = 0;
        var lastBody = "";
        var elapsed = await Poll.UntilAsync(since, GiveUpAfter, Interval, async () =>
        {
            using var response = await client.SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken);
            lastStatus = (int)response.StatusCode;
            lastBody = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or (HttpStatusCode)440, $"{replica.Name} answered {lastStatus} {lastBody}");
            return lastStatus == 440;
        });
        Assert.True(elapsed is not null, $"{replica.Name} still accepted the revoked access token {GiveUpAfter.TotalSeconds:0} s later");
        Assert.Equal("""{"message":"try refresh token"}""", lastBody);
        return elapsed.Value;
    }
}
