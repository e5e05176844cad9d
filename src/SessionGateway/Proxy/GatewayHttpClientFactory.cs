using System.Text;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace SessionGateway.Proxy;

/// <summary>
/// YARP's client factory, with <see cref="LoginHeaderHandler"/> in front of every cluster's handler so that login
/// headers are read before YARP copies response headers.
/// </summary>
internal sealed class GatewayHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger, IOptionsMonitor<SessionSettings> settings)
    : ForwarderHttpClientFactory(logger)
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        // The HTTP client decodes response header bytes as Latin-1 unless the cluster names an encoding.
        var encoding = context.NewConfig.ResponseHeaderEncoding is { Length: > 0 } name ? Encoding.GetEncoding(name) : Encoding.Latin1;
        return new LoginHeaderHandler(settings, encoding) { InnerHandler = base.WrapHandler(context, handler) };
    }
}
