namespace SessionGateway.Webhooks;

/// <summary>
/// When a webhook is tried again after a failed attempt. The first retries come within seconds, so a receiver that is
/// briefly down (a deploy, a restart) gets the event within a minute; then the waits grow, so a receiver that is down
/// for long is not hammered, up to one attempt an hour until <c>Session:Webhooks:RetryFor</c> has passed.
/// </summary>
internal static class WebhookSchedule
{
    /// <summary>The wait after the 1st, 2nd, ... failed attempt; the last one repeats.</summary>
    public static readonly IReadOnlyList<TimeSpan> Delays =
    [
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(5),
        TimeSpan.FromSeconds(15),
        TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1),
        TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1),
    ];

    /// <summary>
    /// Waits up to this long are waited in the sender (the retry strategy's delay, the webhook kept in hand); longer ones
    /// in the outbox, so a webhook that keeps failing does not hold one of the sender's slots for hours.
    /// </summary>
    public static readonly TimeSpan InProcessLimit = TimeSpan.FromSeconds(15);

    /// <summary>The wait after <paramref name="failedAttempts"/> failed attempts (at least 1).</summary>
    public static TimeSpan DelayAfter(int failedAttempts) => Delays[Math.Clamp(failedAttempts, 1, Delays.Count) - 1];
}
