using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>A response read off the socket: status, headers (Latin-1, one char per byte) and body.</summary>
internal sealed record RawResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).SingleOrDefault();
}

/// <summary>
/// Sends requests byte for byte over a socket, for what an HTTP client library would refuse or normalise:
/// dot segments and <c>;</c> in a path, a tab in a header, repeated headers, control characters, odd methods.
/// </summary>
internal static class RawClient
{
    /// <summary>
    /// Sends <paramref name="request"/> (Latin-1: each char one byte) to <paramref name="address"/> and reads one
    /// response: its head, then a body of <c>Content-Length</c> bytes, a chunked body, or everything until the server
    /// closes.
    /// </summary>
    public static async Task<RawResponse> SendAsync(Uri address, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, address.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<byte>();
        var chunk = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8, 0)) < 0)
        {
            if (!await ReadAsync(stream, received, chunk, timeout.Token))
            {
                break;
            }
        }

        var text = Encoding.Latin1.GetString([.. received]);
        var lines = (headEnd < 0 ? text : text[..headEnd]).Split("\r\n");
        var status = lines[0].Split(' ') is [_, var code, ..] && int.TryParse(code, out var parsed) ? parsed : 0;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        var response = new RawResponse(status, headers, "");
        if (headEnd < 0)
        {
            return response;
        }

        var bodyStart = headEnd + 4;
        if (response.Header("Content-Length") is { } length)
        {
            while (received.Count - bodyStart < int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) &&
                await ReadAsync(stream, received, chunk, timeout.Token))
            {
            }
        }
        else if (response.Header("Transfer-Encoding") is not null)
        {
            while (IndexOf(received, "0\r\n\r\n"u8, bodyStart) < 0 && await ReadAsync(stream, received, chunk, timeout.Token))
            {
            }
        }
        else if (status is not (101 or 204 or 304) && !request.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            while (await ReadAsync(stream, received, chunk, timeout.Token))
            {
            }
        }

        return response with { Body = Encoding.Latin1.GetString([.. received.Skip(bodyStart)]) };
    }

    private static async Task<bool> ReadAsync(NetworkStream stream, List<byte> received, byte[] chunk, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAsync(chunk, cancellationToken);
        received.AddRange(chunk.AsSpan(0, read));
        return read > 0;
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> what, int from)
    {
        for (var i = from; i + what.Length <= bytes.Count; i++)
        {
            var match = true;
            for (var j = 0; j < what.Length && match; j++)
            {
                match = bytes[i + j] == what[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A <c>GET</c> of <paramref name="target"/> with extra header lines (each without CRLF).</summary>
    public static Task<RawResponse> GetAsync(Uri address, string target, params string[] headers) =>
        SendAsync(address, Request("GET", target, headers));

    /// <summary>The bytes of a request: request line, <c>Host</c>, the given header lines, <c>Connection: close</c>.</summary>
    public static string Request(string method, string target, params string[] headers)
    {
        var text = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        return text.Append("Connection: close\r\n\r\n").ToString();
    }
}
