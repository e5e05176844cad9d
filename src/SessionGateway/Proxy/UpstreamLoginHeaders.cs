using System.Text;

namespace SessionGateway.Proxy;

/// <summary>
/// The login headers an upstream response carried (<c>X-Session-Create</c>, <c>X-Session-Claims</c>), as
/// <see cref="LoginHeaderHandler"/> took them off the response, with the encoding the HTTP client decoded their
/// bytes with, so that <see cref="SessionLoginTransform"/> can get the bytes back and read them as UTF-8.
/// </summary>
internal sealed record UpstreamLoginHeaders(string[] UserIds, string[] Claims, Encoding WireEncoding)
{
    public static readonly HttpRequestOptionsKey<UpstreamLoginHeaders> Key = new("SessionGateway.UpstreamLoginHeaders");

    /// <summary>
    /// A header value as the upstream's bytes read as UTF-8; false when those bytes are not UTF-8. The client
    /// decodes response headers as Latin-1 (one char per byte) unless the cluster sets another encoding.
    /// </summary>
    public bool TryDecode(string value, out string text)
    {
        if (Ascii.IsValid(value))
        {
            text = value;
            return true;
        }

        byte[] bytes;
        try
        {
            bytes = WireEncoding.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            text = "";
            return false;
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            text = "";
            return false;
        }

        text = Encoding.UTF8.GetString(bytes);
        return true;
    }
}
