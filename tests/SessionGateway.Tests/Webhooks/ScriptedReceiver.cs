using System.Collections.Concurrent;
using System.Net;

namespace SessionGateway.Tests.Webhooks;

/// <summary>
/// The receiver's side of the wire, in memory: every request the sender makes is kept (with the clock's time), and
/// answered by <see cref="Answer"/> (a status, or an exception as a refused connection would be). Counts the requests
/// under way at the same time (<see cref="MaxInFlight"/>).
/// </summary>
internal sealed class ScriptedReceiver(TimeProvider clock) : HttpMessageHandler
{
    private readonly SemaphoreSlim _arrivals = new(0);
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The answer to the n-th request (0-based); default 200.</summary>
    public Func<int, Task<HttpStatusCode>> Answer { get; set; } = _ => Task.FromResult(HttpStatusCode.OK);

    /// <summary>The most requests that were under way at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Waits until <paramref name="count"/> requests have arrived in all (up to 10 s of real time); false if they did not.</summary>
    public async Task<bool> ArrivedAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Received.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrivals.WaitAsync(left))
            {
                return Received.Count >= count;
            }
        }

        return true;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            for (var max = Volatile.Read(ref _maxInFlight); inFlight > max; max = Volatile.Read(ref _maxInFlight))
            {
                Interlocked.CompareExchange(ref _maxInFlight, inFlight, max);
            }

            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var headers = request.Headers.Concat(request.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
            int index;
            lock (Received)
            {
                index = Received.Count;
                Received.Enqueue(new ReceivedWebhook(clock.GetUtcNow(), request.Method, request.RequestUri!, headers, body));
            }

            _arrivals.Release();
            var status = await Answer(index).WaitAsync(cancellationToken);
            return new HttpResponseMessage(status);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _arrivals.Dispose();
        }

        base.Dispose(disposing);
    }
}
