using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>One request as it arrived on the upstream's socket: the request line and headers, byte for byte.</summary>
internal sealed record RawRequest(string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Head)
{
    /// <summary>The values of header <paramref name="name"/> (any case), each as its bytes read as Latin-1.</summary>
    public IReadOnlyList<string> Values(string name) =>
        [.. Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    /// <summary>The single value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Values(name) switch
    {
        [] => null,
        [var one] => one,
        var many => throw new InvalidOperationException($"{name} arrived {many.Count} times"),
    };

    /// <summary>The whole head as text (Latin-1: one char per byte), for "this never arrived" checks.</summary>
    public string HeadText => Encoding.Latin1.GetString(Head);
}

/// <summary>
/// An HTTP/1.1 upstream on a bare socket that records what it received without any framework decoding it first:
/// the request target exactly as sent (no percent-decoding, no dot-segment or slash handling) and the header
/// bytes. Its answer is raw bytes too, so a test can send what a real app might (UTF-8 in a header value).
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private static readonly byte[] Ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nupstream ok");

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentQueue<RawRequest> _requests = new();
    private readonly ConcurrentDictionary<string, byte[]> _responses = new(StringComparer.Ordinal);

    private RawUpstream()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The address for a cluster destination, with a trailing slash.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    public IReadOnlyList<RawRequest> Requests => [.. _requests];

    public static RawUpstream Start() => new();

    /// <summary>
    /// Answers later requests for exactly <paramref name="target"/> with <paramref name="head"/> (status line and
    /// header lines, no blank line; Latin-1, so each char is one byte: write UTF-8 as its bytes) and a short body.
    /// Every other request gets 200 "upstream ok".
    /// </summary>
    public void RespondWith(string target, string head) =>
        _responses[target] = Encoding.Latin1.GetBytes(head + "\r\nContent-Length: 7\r\nConnection: close\r\n\r\nwelcome");

    /// <summary>The one request the upstream received.</summary>
    public RawRequest Single() => Assert.Single(Requests);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop with one of these.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new List<byte>();
                var chunk = new byte[4096];
                int headEnd;
                while ((headEnd = IndexOfBlankLine(buffer)) < 0)
                {
                    var read = await stream.ReadAsync(chunk, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, read));
                }

                var head = buffer.Take(headEnd).ToArray();
                var request = Parse(head);
                _requests.Enqueue(request);

                // Read the body (Content-Length or chunked) so closing the socket does not reset it under the sender.
                var body = buffer.Count - headEnd - 4;
                if (request.Header("Content-Length") is { } length)
                {
                    for (var missing = int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) - body; missing > 0;)
                    {
                        var read = await stream.ReadAsync(chunk.AsMemory(0, Math.Min(chunk.Length, missing)), _stop.Token);
                        missing = read == 0 ? 0 : missing - read;
                    }
                }
                else if (request.Header("Transfer-Encoding") is not null)
                {
                    var rest = buffer.Skip(headEnd + 4).ToList();
                    while (!Encoding.ASCII.GetString([.. rest]).Contains("0\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(chunk, _stop.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        rest.AddRange(chunk.AsSpan(0, read));
                    }
                }

                await stream.WriteAsync(_responses.TryGetValue(request.Target, out var response) ? response : Ok, _stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The gateway went away mid-request; nothing to record beyond what was read.
            }
        }
    }

    private static int IndexOfBlankLine(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private static RawRequest Parse(byte[] head)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        return new RawRequest(requestLine[0], requestLine[1], headers, head);
    }
}
