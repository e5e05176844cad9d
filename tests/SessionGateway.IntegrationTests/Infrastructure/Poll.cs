using System.Diagnostics;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>Bounded polling for things that happen in other processes, on the real clock.</summary>
internal static class Poll
{
    /// <summary>
    /// Evaluates <paramref name="condition"/> every <paramref name="interval"/> until it holds or
    /// <paramref name="clock"/> reads <paramref name="giveUpAt"/>; returns the clock's reading when it first held, or
    /// null. The clock is the event the test measures from (a sign-out, a server start), so the bound is too.
    /// </summary>
    public static async Task<TimeSpan?> UntilAsync(Stopwatch clock, TimeSpan giveUpAt, TimeSpan interval, Func<Task<bool>> condition)
    {
        while (true)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed >= giveUpAt)
            {
                return null;
            }

            await Task.Delay(interval);
        }
    }
}
