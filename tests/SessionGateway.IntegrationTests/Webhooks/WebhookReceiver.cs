using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Webhooks;

/// <summary>
/// A webhook receiver: Kestrel on 127.0.0.1 in the test process (so it outlives gateway restarts), keeping every request
/// and answering each as <see cref="Answer"/> says, which may hold a request open until the test lets it go. It checks
/// signatures as the Standard Webhooks specification tells a receiver to, with its own HMAC code.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _requests = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(WebApplication app, int port, string secret)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/hooks";
        Secret = secret;
    }

    public string Url { get; }

    /// <summary>The secret, as an operator writes it into the secret file.</summary>
    public string Secret { get; }

    /// <summary>The status for the n-th request (0-based); default 204. It may wait: the request stays open meanwhile.</summary>
    public Func<int, Task<int>> Answer { get; set; } = _ => Task.FromResult(204);

    public IReadOnlyList<ReceivedWebhook> Requests => [.. _requests];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, port, "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until <paramref name="count"/> requests have arrived.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan timeout, Func<string>? context = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (_requests.Count < count)
        {
            try
            {
                await _arrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the receiver got {_requests.Count} webhook(s), not {count}, within {timeout.TotalSeconds:0} s\n{context?.Invoke()}");
            }
        }

        return Requests;
    }

    /// <summary>
    /// A receiver's check (Standard Webhooks, "verifying webhooks"): HMAC-SHA256 keyed with the base64-decoded part of the
    /// secret after <c>whsec_</c>, over <c>{id}.{timestamp}.{body}</c>; any of the space-separated <c>v1,</c> signatures
    /// may match, compared in constant time.
    /// </summary>
    public bool SignatureVerifies(ReceivedWebhook delivery)
    {
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        var content = Encoding.UTF8.GetBytes($"{delivery.Id}.{delivery.Timestamp}.{delivery.Body}");
        var expected = HMACSHA256.HashData(key, content);
        foreach (var signature in delivery.Signature.Split(' '))
        {
            if (signature.StartsWith("v1,", StringComparison.Ordinal) &&
                CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(signature[3..]), expected))
            {
                return true;
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A request still held open.
        }

        await _app.DisposeAsync();
        _arrived.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var delivery = new ReceivedWebhook(
            context.Request.Method,
            context.Request.Path,
            context.Request.ContentType ?? "",
            context.Request.Headers["webhook-id"].ToString(),
            context.Request.Headers["webhook-timestamp"].ToString(),
            context.Request.Headers["webhook-signature"].ToString(),
            body,
            DateTimeOffset.UtcNow);
        int index;
        lock (_requests)
        {
            index = _requests.Count;
            _requests.Enqueue(delivery);
        }

        _arrived.Release();
        try
        {
            context.Response.StatusCode = await Answer(index).WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The gateway gave up on the attempt (its timeout, or its shutdown).
        }
    }
}
