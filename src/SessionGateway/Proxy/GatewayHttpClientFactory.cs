using System.Text;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace SessionGateway.Proxy;

/// <summary>
/// YARP's client factory, with <see cref="LoginHeaderHandler"/> in front of every cluster's handler so that login
/// headers are read before YARP copies response headers; and request header values encoded as UTF-8 when the
/// cluster names no encoding.
/// </summary>
internal sealed class GatewayHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger, IOptionsMonitor<SessionSettings> settings)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);

        // Kestrel reads request header bytes as UTF-8 (ASCII is a subset), so a non-ASCII value (a UTF-8 cookie an
        // app set, a file name) arrives as text the HTTP client refuses to send ("Request headers must contain only
        // ASCII characters"), which YARP answers with an empty 502: a 5xx for client input. Encoded back as UTF-8,
        // the upstream gets the bytes the client sent, and the gateway's checks (token cookie names, identity
        // headers) read the same text the upstream will. A cluster's own HttpClient:RequestHeaderEncoding wins.
        if (context.NewConfig.RequestHeaderEncoding is not { Length: > 0 })
        {
            handler.RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8;
        }
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        // The HTTP client decodes response header bytes as Latin-1 unless the cluster names an encoding.
        var encoding = context.NewConfig.ResponseHeaderEncoding is { Length: > 0 } name ? Encoding.GetEncoding(name) : Encoding.Latin1;
        return new LoginHeaderHandler(settings, encoding) { InnerHandler = base.WrapHandler(context, handler) };
    }
}
