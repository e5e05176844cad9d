using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// An upstream app that speaks WebSocket (WireMock does not): Kestrel on 127.0.0.1 in the test process, echoing every
/// message on any path and answering a close with a close. It lives in the test process, so stopping a gateway
/// process never stops it: a socket that breaks broke in the gateway.
/// </summary>
internal sealed class WebSocketEchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebSocketEchoUpstream(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/";
    }

    /// <summary>The address for a cluster destination, with a trailing slash.</summary>
    public string Url { get; }

    public static async Task<WebSocketEchoUpstream> StartAsync()
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(EchoAsync);
        await app.StartAsync();
        return new WebSocketEchoUpstream(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, received.CloseStatusDescription, context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The gateway dropped the connection: the test sees that on its own side.
        }
    }
}
