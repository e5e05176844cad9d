using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests;

/// <summary>W3C trace context through the gateway, its spans joined to the request's, and OTLP export when OTEL_* says so.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Traceparent_FromTheClient_ContinuesToTheUpstreamWithTheSameTraceId()
    {
        await using var harness = await SessionHarness.StartAsync();
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var clientSpan = ActivitySpanId.CreateRandom().ToHexString();
        using var request = alice.NewRequest(HttpMethod.Get, "/api/traced");
        request.Headers.Add("traceparent", $"00-{traceId}-{clientSpan}-01");

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(harness.UpstreamRequests("/api/traced"));
        var traceparent = Assert.Single(forwarded.Headers!["traceparent"]);
        var parts = traceparent.Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal(traceId, parts[1]);
        // The gateway takes part in the trace: the upstream's parent is the gateway's span, not the client's.
        Assert.NotEqual(clientSpan, parts[2]);
    }

    [Fact]
    public async Task Spans_OfAuthenticationLoginAndStore_JoinTheRequestSpan()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Record(traceId, spans, "SessionGateway", "Microsoft.AspNetCore", "Yarp.ReverseProxy");
        await using var harness = await SessionHarness.StartAsync();
        var clientSpan = ActivitySpanId.CreateRandom();
        var traceparent = $"00-{traceId.ToHexString()}-{clientSpan.ToHexString()}-01";

        using (var loginRequest = new HttpRequestMessage(HttpMethod.Post, harness.MapLogin("alice")))
        {
            loginRequest.Headers.Add("traceparent", traceparent);
            using var response = await harness.Http.SendAsync(loginRequest);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The request's span ends after the response is written, so after the spans inside it (the login's among them)
        // and possibly after the client has the response: wait for it too, not only for the login's.
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(spans.Any(s => s.OperationName == "sessiongateway.login") && spans.Any(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == clientSpan)),
            "the login span and the request's span ended");
        // The gateway's request span (the WireMock upstream runs ASP.NET Core in this process too, one level down).
        var request = spans.Single(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == clientSpan);
        var authenticate = spans.Single(s => s.OperationName == "sessiongateway.authenticate");
        Assert.Equal(request.SpanId, authenticate.ParentSpanId);
        Assert.Equal("missing", authenticate.GetTagItem("sessiongateway.outcome"));
        var forward = spans.Single(s => s.Source.Name == "Yarp.ReverseProxy");
        Assert.Equal(request.SpanId, forward.ParentSpanId);
        var login = spans.Single(s => s.OperationName == "sessiongateway.login");
        var create = spans.Single(s => s.OperationName == "sessiongateway.store.create");
        Assert.Equal(login.SpanId, create.ParentSpanId);
        Assert.All(spans, span => Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains("alice", StringComparison.Ordinal) == true));
    }

    /// <summary>
    /// The refresh and sign-out spans are children of their request's span, and the store call each makes (the
    /// rotation, the revocation) is a child of theirs: an operator sees which endpoint waited on the store.
    /// </summary>
    [Fact]
    public async Task Spans_OfRefreshAndSignOut_JoinTheRequestSpan_WithTheirStoreCallsUnderThem()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Record(traceId, spans, "SessionGateway", "Microsoft.AspNetCore");
        await using var harness = await SessionHarness.StartAsync();
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var refreshSpan = ActivitySpanId.CreateRandom();
        var signOutSpan = ActivitySpanId.CreateRandom();

        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync(traceparent: $"00-{traceId.ToHexString()}-{refreshSpan.ToHexString()}-01")).StatusCode);
        using (var signOut = alice.NewRequest(HttpMethod.Post, SessionHarness.SignOutPath))
        {
            signOut.Headers.Add("rid", "session");
            signOut.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{signOutSpan.ToHexString()}-01");
            using var response = await harness.Http.SendAsync(signOut);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(spans.Any(s => s.OperationName == "sessiongateway.signout") && spans.Count(s => s.Source.Name == "Microsoft.AspNetCore") >= 2),
            "the sign-out span and both request spans ended");
        var refreshRequest = spans.Single(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == refreshSpan);
        var refresh = spans.Single(s => s.OperationName == "sessiongateway.refresh");
        Assert.Equal(refreshRequest.SpanId, refresh.ParentSpanId);
        Assert.Contains(spans, s => s.OperationName == "sessiongateway.store.rotate" && s.ParentSpanId == refresh.SpanId);

        var signOutRequest = spans.Single(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == signOutSpan);
        var signOutActivity = spans.Single(s => s.OperationName == "sessiongateway.signout");
        Assert.Equal(signOutRequest.SpanId, signOutActivity.ParentSpanId);
        Assert.Contains(spans, s => s.OperationName == "sessiongateway.store.revoke" && s.ParentSpanId == signOutActivity.SpanId);
        Assert.All(spans, span => Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains("alice", StringComparison.Ordinal) == true));
    }

    /// <summary>The refresh span's outcome has the counter's values: a rotation is <c>success</c>, the same token again within the grace period <c>grace</c>.</summary>
    [Fact]
    public async Task RefreshSpan_Outcome_HasTheCountersValues()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Record(traceId, spans, "SessionGateway", "Microsoft.AspNetCore");
        await using var harness = await SessionHarness.StartAsync();
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var traceparent = $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        var previous = alice.RefreshToken!;

        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync(traceparent: traceparent)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await harness.NewClient(TokenMode.Cookie).RefreshAsync(previous, traceparent)).StatusCode);

        var refreshes = () => spans.Where(s => s.OperationName == "sessiongateway.refresh");
        await TestGateway.WaitUntilAsync(() => Task.FromResult(refreshes().Count() == 2), "both refresh spans ended");
        Assert.Equal(["success", "grace"], refreshes().Select(s => s.GetTagItem("sessiongateway.outcome") as string));
    }

    [Fact]
    public async Task Otlp_WhenTheEndpointVariableIsSet_ExportsTracesMetricsAndLogsOverHttpProtobuf()
    {
        using var receiver = StartOtlpReceiver();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { ExtraArgs = OtlpArgs(receiver) });

        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync()).StatusCode);

        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(Bodies(receiver, "/v1/traces").Contains("sessiongateway.refresh", StringComparison.Ordinal) &&
                Bodies(receiver, "/v1/metrics").Contains("sessiongateway.refresh.outcomes", StringComparison.Ordinal) &&
                Bodies(receiver, "/v1/logs").Contains("alice", StringComparison.Ordinal)),
            "the receiver got the refresh span and counter, and the session's log entries",
            TimeSpan.FromSeconds(20));

        var traces = Bodies(receiver, "/v1/traces");
        foreach (var name in new[] { "sessiongateway.login", "sessiongateway.authenticate", "sessiongateway.refresh", "sessiongateway.store.create", "sessiongateway.store.rotate", "gateway-under-test" })
        {
            Assert.Contains(name, traces, StringComparison.Ordinal);
        }

        var metrics = Bodies(receiver, "/v1/metrics");
        foreach (var name in new[] { "sessiongateway.auth.decisions", "sessiongateway.sessions.created", "sessiongateway.store.duration", "http.server.request.duration" })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(alice.RefreshToken!, traces + metrics + Bodies(receiver, "/v1/logs"), StringComparison.Ordinal);
    }

    /// <summary>
    /// The standard per-signal switches: with the endpoint set and <c>OTEL_LOGS_EXPORTER=none</c>,
    /// <c>OTEL_TRACES_EXPORTER=none</c>, only metrics leave the process. Logs carry user ids and session handles, so an
    /// operator who turned them off must not find them at the collector.
    /// </summary>
    [Fact]
    public async Task Otlp_WithLogsAndTracesExporterNone_ExportsOnlyMetrics()
    {
        using var receiver = StartOtlpReceiver();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraArgs = [.. OtlpArgs(receiver), "--OTEL_LOGS_EXPORTER=none", "--OTEL_TRACES_EXPORTER=none"],
        });

        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync()).StatusCode);

        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(Bodies(receiver, "/v1/metrics").Contains("sessiongateway.refresh.outcomes", StringComparison.Ordinal)),
            "the receiver got the refresh counter",
            TimeSpan.FromSeconds(20));
        // Two more metric exports (300 ms apart): logs and spans of the refresh, batched every 100 ms, would be there by now.
        var exports = Posts(receiver, "/v1/metrics");
        await TestGateway.WaitUntilAsync(() => Task.FromResult(Posts(receiver, "/v1/metrics") >= exports + 2), "two more metric exports", TimeSpan.FromSeconds(20));

        Assert.Equal(0, Posts(receiver, "/v1/logs"));
        Assert.Equal(0, Posts(receiver, "/v1/traces"));
        // One line at start says what is exported, and where.
        var notice = Assert.Single(harness.Gateway.Logs.Entries, e => e.EventId.Id == 5050);
        Assert.Contains("exporting metrics to " + receiver.Url, notice.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("traces", notice.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("logs to", notice.Message, StringComparison.Ordinal);
    }

    /// <summary>Records every span of trace <paramref name="traceId"/> from <paramref name="sources"/> (and only those are sampled).</summary>
    private static ActivityListener Record(ActivityTraceId traceId, ConcurrentQueue<Activity> spans, params string[] sources)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.TraceId == traceId ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static WireMockServer StartOtlpReceiver()
    {
        var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{Upstream.FreePort()}"] });
        receiver.Given(Request.Create().WithPath("/v1/traces", "/v1/metrics", "/v1/logs").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200));
        return receiver;
    }

    private static string[] OtlpArgs(WireMockServer receiver) =>
    [
        "--OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.Url,
        "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "--OTEL_SERVICE_NAME=gateway-under-test",
        "--OTEL_METRIC_EXPORT_INTERVAL=300",
        "--OTEL_BSP_SCHEDULE_DELAY=100",
        "--OTEL_BLRP_SCHEDULE_DELAY=100",
    ];

    private static int Posts(WireMockServer receiver, string path) =>
        receiver.LogEntries.Count(e => e.RequestMessage.Path == path);

    private static string Bodies(WireMockServer receiver, string path) => string.Concat(receiver.LogEntries
        .Where(e => e.RequestMessage.Path == path && e.RequestMessage.BodyAsBytes is not null)
        .Select(e => Encoding.UTF8.GetString(e.RequestMessage.BodyAsBytes!)));
}
