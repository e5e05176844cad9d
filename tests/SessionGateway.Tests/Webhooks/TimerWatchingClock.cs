using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace SessionGateway.Tests.Webhooks;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells the test each timer created on it (with its due time), so a test can
/// advance the clock by exactly the wait the code asked for, once it asked (no sleeps, no guessing).
/// </summary>
internal sealed class TimerWatchingClock(FakeTimeProvider inner) : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Inner { get; } = inner;

    public override DateTimeOffset GetUtcNow() => Inner.GetUtcNow();

    public override long GetTimestamp() => Inner.GetTimestamp();

    public override long TimestampFrequency => Inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Inner.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero)
        {
            // Not the unarmed timers a pooled CancellationTokenSource keeps (infinite).
            _timers.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>The due time of the next armed timer created (waits for it, up to 10 s of real time).</summary>
    public async Task<TimeSpan> NextTimerAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _timers.Reader.ReadAsync(timeout.Token);
    }
}
