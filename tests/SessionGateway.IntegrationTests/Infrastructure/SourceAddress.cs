using System.Net;
using System.Net.Sockets;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// HTTP clients that connect from a chosen loopback address (127.0.0.2, 127.0.0.3...): the whole 127.0.0.0/8 is the
/// loopback interface on Linux, so a client can bind any of them and the gateway on 127.0.0.1 sees a different
/// client address. That is how the tests reach a second per-address rate-limit partition without a seam.
/// </summary>
internal static class SourceAddress
{
    public static HttpClient ClientFrom(IPAddress source, Uri gateway) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = gateway,
    };
}
