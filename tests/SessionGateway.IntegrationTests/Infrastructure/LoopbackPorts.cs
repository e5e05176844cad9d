using System.Net;
using System.Net.Sockets;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>Free TCP ports on 127.0.0.1 for child processes (gateway replicas, private PostgreSQL clusters).</summary>
internal static class LoopbackPorts
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port nothing is bound to, below Linux's ephemeral range (32768+): a process is killed and started again on
    /// its port, and in between an outgoing connection of this busy test process must not take it as its local port.
    /// Never the same port twice in one test run, so parallel tests do not pick each other's.
    /// </summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            lock (HandedOut)
            {
                if (HandedOut.Contains(port))
                {
                    continue;
                }
            }

            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException)
            {
                continue; // Taken.
            }

            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("found no free TCP port on 127.0.0.1 between 20000 and 31999");
    }
}
