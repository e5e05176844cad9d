using System.Buffers.Text;
using System.Text.Json;

namespace SessionGateway.Keys;

internal static class JsonWriterExtensions
{
    public static void WriteBase64UrlString(this Utf8JsonWriter writer, string name, byte[] value) =>
        writer.WriteString(name, Base64Url.EncodeToString(value));
}
