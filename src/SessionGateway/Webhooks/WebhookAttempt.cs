namespace SessionGateway.Webhooks;

/// <summary>The receiver's answer to one attempt: its status code. Any 2xx is a delivery; anything else a failed attempt.</summary>
internal readonly record struct WebhookAttempt(int StatusCode)
{
    public bool Delivered => StatusCode is >= 200 and <= 299;
}
