namespace SessionGateway.Storage;

/// <summary>
/// An audit event a store write appends in the same transaction as its change: its kind (see
/// <see cref="SessionGateway.Sessions.SessionEventTypes"/>), when, who was seen making the request, and, when a webhook
/// is to be sent for it, the webhook id under which the store queues it in its outbox (same transaction, so the event
/// and its delivery are never separated by a crash).
/// </summary>
internal sealed record AuditEntry(string Kind, DateTimeOffset OccurredAt, ClientInfo? Client = null, string? WebhookId = null);
