using System.Threading.Channels;
using SessionGateway.Storage;
using SessionGateway.Tests.Engine.Sessions;

namespace SessionGateway.Tests.Webhooks;

/// <summary>A store whose outbox can be made unreachable (taking webhooks times out, as a store outage does); counts the takes.</summary>
internal sealed class OutboxOutageStore(ISessionStore inner) : DelegatingStore(inner)
{
    private readonly Channel<bool> _takes = Channel.CreateUnbounded<bool>();

    public volatile bool Down;

    public override Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken)
    {
        try
        {
            return Down ? throw new TimeoutException("the store did not answer") : base.TakeWebhooksAsync(now, takenUntil, max, cancellationToken);
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
