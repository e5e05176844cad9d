using System.Text.Json;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Webhooks;

/// <summary>
/// The JSON body of a webhook, as the Standard Webhooks specification shapes it: <c>type</c>, <c>timestamp</c> (when the
/// event happened) and <c>data</c>. Built once per delivery, so every attempt sends the same bytes.
/// </summary>
internal static class WebhookPayload
{
    /// <summary>The body for <paramref name="auditEvent"/>, or null when its stored kind has no public type (written by a newer version).</summary>
    public static byte[]? Serialize(SessionAuditEvent auditEvent)
    {
        if (SessionEventTypes.TypeOf(auditEvent.Kind) is not { } type)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("timestamp", auditEvent.OccurredAt.UtcDateTime);
            writer.WriteStartObject("data");
            writer.WriteString("userId", auditEvent.UserId);
            writer.WriteString("sessionHandle", auditEvent.SessionHandle);
            WriteNullable(writer, "kind", SessionEventTypes.KindOf(auditEvent.Kind));
            WriteNullable(writer, "clientAddress", auditEvent.Client?.Address);
            WriteNullable(writer, "userAgent", auditEvent.Client?.UserAgent);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
