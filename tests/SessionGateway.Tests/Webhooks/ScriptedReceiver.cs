using System.Collections.Concurrent;
using System.Net;

namespace SessionGateway.Tests.Webhooks;

/// <summary>
/// The receiver's side of the wire, in memory: every request the sender makes is kept (with the clock's time), and
/// answered by <see cref="Answer"/> (a status, or an exception as a refused connection would be).
/// </summary>
internal sealed class ScriptedReceiver(TimeProvider clock) : HttpMessageHandler
{
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The answer to the n-th request (0-based); default 200.</summary>
    public Func<int, Task<HttpStatusCode>> Answer { get; set; } = _ => Task.FromResult(HttpStatusCode.OK);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.Concat(request.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var index = Received.Count;
        Received.Enqueue(new ReceivedWebhook(clock.GetUtcNow(), request.Method, request.RequestUri!, headers, body));
        var status = await Answer(index).WaitAsync(cancellationToken);
        return new HttpResponseMessage(status);
    }
}
