using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Proxy;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Tests.Proxy;

public sealed class IdentityHeaderTransformTests
{
    [Fact]
    public async Task ApplyAsync_ClientIdentityHeaders_AreRemovedAndOthersKept()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X_User_Id"] = "mallory";
        context.Request.Headers["x-session-handle"] = "stolen";
        context.Request.Headers["X-SESSION-ROLE"] = "admin";
        context.Request.Headers["X-Keep"] = "yes";
        context.Request.Headers.ContentType = "text/plain";
        using var proxyRequest = new HttpRequestMessage(HttpMethod.Post, "http://upstream/") { Content = new StringContent("body") };
        foreach (var (name, value) in context.Request.Headers)
        {
            if (!proxyRequest.Headers.TryAddWithoutValidation(name, value.ToArray()))
            {
                proxyRequest.Content.Headers.TryAddWithoutValidation(name, value.ToArray());
            }
        }

        var transform = new IdentityHeaderTransform(new FixedOptionsMonitor<SessionSettings>(new SessionSettings()));
        await transform.ApplyAsync(new RequestTransformContext
        {
            HttpContext = context,
            ProxyRequest = proxyRequest,
            Path = "/",
            Query = new QueryTransformContext(context.Request),
            DestinationPrefix = "http://upstream",
        });

        var remaining = proxyRequest.Headers.Select(h => h.Key).ToList();
        Assert.Equal(["X-Keep"], remaining);
        Assert.Equal("text/plain", proxyRequest.Content.Headers.ContentType!.MediaType);
    }

    private sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
