namespace SessionGateway.Sessions;

/// <summary>
/// Wakes this replica's webhook sender as soon as the engine has queued a webhook, so delivery starts at once instead
/// of at the sender's next look at the outbox (which it also takes on a timer, for webhooks other replicas queued
/// and for retries). Notifications while the sender is busy collapse into one.
/// </summary>
internal sealed class WebhookSignal : IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    /// <summary>Says that a webhook was queued. Never blocks.</summary>
    public void Notify()
    {
        try
        {
            if (_pending.CurrentCount == 0)
            {
                _pending.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another notification got there first: one pending wake-up is enough.
        }
    }

    /// <summary>Waits for a notification or <paramref name="timeout"/>; true when notified.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _pending.Dispose();
}
