using System.Threading.Channels;
using SessionGateway.Storage;
using SessionGateway.Tests.Engine.Sessions;

namespace SessionGateway.Tests.Webhooks;

/// <summary>A store whose outbox can be made unreachable (taking webhooks times out, as a store outage does); counts the takes and the webhooks taken.</summary>
internal sealed class OutboxOutageStore(ISessionStore inner) : DelegatingStore(inner)
{
    private readonly Channel<bool> _takes = Channel.CreateUnbounded<bool>();

    public volatile bool Down;

    private int _taken;

    /// <summary>Webhooks taken so far, in all.</summary>
    public int Taken => Volatile.Read(ref _taken);

    public override async Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken)
    {
        try
        {
            var taken = Down ? throw new TimeoutException("the store did not answer") : await base.TakeWebhooksAsync(now, takenUntil, max, cancellationToken);
            Interlocked.Add(ref _taken, taken.Count);
            return taken;
        }
        finally
        {
            _takes.Writer.TryWrite(true);
        }
    }

    /// <summary>Waits for the next look at the outbox (up to 10 s).</summary>
    public async Task NextTakeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _takes.Reader.ReadAsync(timeout.Token);
    }
}
