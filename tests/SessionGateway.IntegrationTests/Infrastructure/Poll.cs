using System.Diagnostics;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>Bounded polling for things that happen in other processes, on the real clock.</summary>
internal static class Poll
{
    /// <summary>
    /// Evaluates <paramref name="condition"/> every <paramref name="interval"/> until it holds or
    /// <paramref name="timeout"/> has passed; returns <paramref name="clock"/>'s reading when it first held, or null.
    /// </summary>
    public static async Task<TimeSpan?> UntilAsync(Stopwatch clock, TimeSpan timeout, TimeSpan interval, Func<Task<bool>> condition)
    {
        var deadline = clock.Elapsed + timeout;
        while (true)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed >= deadline)
            {
                return null;
            }

            await Task.Delay(interval);
        }
    }
}
