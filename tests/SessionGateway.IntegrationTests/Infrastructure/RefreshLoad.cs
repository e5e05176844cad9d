using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Header-mode clients, each chaining its own refresh token against replicas picked at random, as SDKs behind a
/// load balancer do. A 503 is retried with the same token after a short pause (what the SDK does with
/// Retry-After); a connection error to the replica the test killed is retried, with the same token, on whichever
/// replica comes next. Anything else ends that client's chain and is recorded as unexpected.
/// </summary>
internal sealed class RefreshLoad(GatewayReplicas replicas, IReadOnlyList<SessionClient> clients)
{
    // A bound on the whole run in case the test never calls Stop (it fails before): no loop runs forever.
    private static readonly TimeSpan HardLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PauseAfter503 = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentQueue<string> _unexpected = new();
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private readonly TimeSpan?[] _lastAcknowledged = new TimeSpan?[clients.Count];
    private volatile GatewayProcess? _killed;
    private volatile bool _stopping;
    private int _connectionErrors;

    /// <summary>Started by <see cref="RunAsync"/>; the time line of the run.</summary>
    public Stopwatch Clock { get; } = new();

    /// <summary>What ended a client's chain: a status other than 200 and 503, or an error talking to a live replica.</summary>
    public IReadOnlyCollection<string> Unexpected => _unexpected;

    /// <summary>Failed connections to the killed replica, each retried.</summary>
    public int ConnectionErrors => _connectionErrors;

    public int Count(HttpStatusCode status) => _statuses.GetValueOrDefault((int)status);

    /// <summary>When client <paramref name="index"/> last got a 200 (on <see cref="Clock"/>), null if never.</summary>
    public TimeSpan? LastAcknowledged(int index) => _lastAcknowledged[index];

    /// <summary>Runs every client until <see cref="Stop"/> (or 30 s).</summary>
    public Task RunAsync()
    {
        Clock.Start();
        return Task.WhenAll(Enumerable.Range(0, clients.Count).Select(RunClientAsync));
    }

    public void Stop() => _stopping = true;

    /// <summary>Call before killing <paramref name="replica"/>: from then on, failing to reach it is a retry, not a failure.</summary>
    public void WillKill(GatewayProcess replica) => _killed = replica;

    public string Summary()
    {
        var text = new StringBuilder($"{clients.Count} clients, {Clock.Elapsed.TotalSeconds:0.0} s: ");
        text.AppendJoin(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} x {s.Key}"));
        text.Append($", {_connectionErrors} connection errors to the killed replica");
        foreach (var problem in _unexpected)
        {
            text.Append("\n  unexpected: ").Append(problem);
        }

        return text.ToString();
    }

    private async Task RunClientAsync(int index)
    {
        var client = clients[index];
        while (!_stopping && Clock.Elapsed < HardLimit)
        {
            var replica = replicas[Random.Shared.Next(replicas.All.Count)];
            client.Http = replica.Client;
            HttpResponseMessage response;
            try
            {
                response = await client.RefreshAsync();
            }
            catch (HttpRequestException) when (ReferenceEquals(replica, _killed))
            {
                // The request may even have rotated the token before the replica died: the retry presents the same
                // token, which the grace period answers with the same next token.
                Interlocked.Increment(ref _connectionErrors);
                continue;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _unexpected.Enqueue($"client {index} on {replica.Name} at {Clock.Elapsed.TotalSeconds:0.00} s: {ex.GetType().Name}: {ex.Message}");
                return;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                _statuses.AddOrUpdate(status, 1, static (_, count) => count + 1);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _lastAcknowledged[index] = Clock.Elapsed;
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    await Task.Delay(PauseAfter503);
                }
                else
                {
                    _unexpected.Enqueue($"client {index} on {replica.Name} at {Clock.Elapsed.TotalSeconds:0.00} s: {status} {await response.Content.ReadAsStringAsync()}");
                    return;
                }
            }
        }
    }
}
