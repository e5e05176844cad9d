namespace SessionGateway.Storage;

/// <summary>
/// A webhook waiting in the store's outbox: the event it reports, the id every attempt carries (receivers deduplicate
/// on it), and how many attempts have failed so far.
/// </summary>
internal sealed record QueuedWebhook(string WebhookId, int Attempts, SessionAuditEvent Event);
