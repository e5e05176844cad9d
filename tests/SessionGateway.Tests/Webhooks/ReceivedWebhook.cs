namespace SessionGateway.Tests.Webhooks;

/// <summary>One request a receiver got: when (the test clock's time), what and with which headers (lower-case names).</summary>
internal sealed record ReceivedWebhook(DateTimeOffset At, HttpMethod Method, Uri Url, IReadOnlyDictionary<string, string> Headers, byte[] Body);
