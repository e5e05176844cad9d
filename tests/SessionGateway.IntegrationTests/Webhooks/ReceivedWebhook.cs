using System.Text.Json;

namespace SessionGateway.IntegrationTests.Webhooks;

/// <summary>One webhook request as the receiver got it.</summary>
internal sealed record ReceivedWebhook(string Method, string Path, string ContentType, string Id, string Timestamp, string Signature, string Body, DateTimeOffset ReceivedAt)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Type => Json.GetProperty("type").GetString();
}
