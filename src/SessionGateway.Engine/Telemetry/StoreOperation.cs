namespace SessionGateway.Telemetry;

/// <summary>
/// One <see cref="Storage.ISessionStore"/> method as telemetry names it: the <c>operation</c> attribute of
/// <c>sessiongateway.store.duration</c> and the span name, both built once.
/// </summary>
internal sealed class StoreOperation
{
    public static readonly StoreOperation Initialize = new("initialize");
    public static readonly StoreOperation Ping = new("ping");
    public static readonly StoreOperation Create = new("create");
    public static readonly StoreOperation Find = new("find");
    public static readonly StoreOperation Rotate = new("rotate");
    public static readonly StoreOperation Revoke = new("revoke");
    public static readonly StoreOperation RevokeOwned = new("revoke_owned");
    public static readonly StoreOperation RevokeAll = new("revoke_all");
    public static readonly StoreOperation ListRevocations = new("list_revocations");
    public static readonly StoreOperation ListForUser = new("list_for_user");
    public static readonly StoreOperation DeleteExpired = new("delete_expired");
    public static readonly StoreOperation DeleteExpiredRevocations = new("delete_expired_revocations");
    public static readonly StoreOperation ListAuditEvents = new("list_audit_events");
    public static readonly StoreOperation ListEvents = new("list_events");
    public static readonly StoreOperation DeleteEvents = new("delete_events");
    public static readonly StoreOperation TakeWebhooks = new("take_webhooks");
    public static readonly StoreOperation CompleteWebhook = new("complete_webhook");
    public static readonly StoreOperation RescheduleWebhook = new("reschedule_webhook");
    public static readonly StoreOperation GetSigningKeys = new("get_signing_keys");
    public static readonly StoreOperation AddSigningKey = new("add_signing_key");
    public static readonly StoreOperation ReplaceSigningKey = new("replace_signing_key");
    public static readonly StoreOperation RetireSigningKey = new("retire_signing_key");
    public static readonly StoreOperation EraseFreedSpace = new("erase_freed_space");
    public static readonly StoreOperation DeleteRetiredSigningKeys = new("delete_retired_signing_keys");
    public static readonly StoreOperation GetOrAddSecret = new("get_or_add_secret");
    public static readonly StoreOperation ReplaceSecret = new("replace_secret");

    private StoreOperation(string name)
    {
        Name = name;
        Tag = new KeyValuePair<string, object?>("operation", name);
        SpanName = "sessiongateway.store." + name;
    }

    public string Name { get; }

    public KeyValuePair<string, object?> Tag { get; }

    public string SpanName { get; }
}
