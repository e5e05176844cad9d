using System.Net.Http.Headers;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace BareYarp;

/// <summary>
/// What the gateway does per request on a session route, minus the token's verification, built the plain way on
/// YARP's extension points: a middleware that finds the access-token cookie, a request transform that strips the
/// identity headers a client sent, sets the user id and session handle, and forwards the Cookie header without the
/// token, and a delegating handler with an async frame that takes two login headers off every upstream response.
/// bench/run.sh measures it as "bare YARP + the session route's work": the gap between it and the gateway is the
/// token check and the gateway's own choices; the gap between it and bare YARP is what this work costs on YARP.
/// </summary>
internal static class SessionWork
{
    private const string TokenCookie = "sAccessToken";

    internal sealed class AccessMiddleware(RequestDelegate next)
    {
        public Task InvokeAsync(HttpContext context)
        {
            // The gateway's access decision reads the cookie and looks the token up; here only the reading.
            var cookie = context.Request.Headers.Cookie;
            context.Items[TokenCookie] = cookie.Count > 0 && cookie.ToString().Contains(TokenCookie + "=", StringComparison.Ordinal);
            return next(context);
        }
    }

    internal sealed class IdentityHeaders : RequestTransform
    {
        public override ValueTask ApplyAsync(RequestTransformContext context)
        {
            var request = context.HttpContext.Request;
            var outgoing = context.ProxyRequest.Headers;
            foreach (var header in request.Headers)
            {
                if (header.Key.StartsWith("X-Session-", StringComparison.OrdinalIgnoreCase) ||
                    header.Key.Equals("X-User-Id", StringComparison.OrdinalIgnoreCase))
                {
                    outgoing.Remove(header.Key);
                }
            }

            if (context.HttpContext.Items[TokenCookie] is true)
            {
                outgoing.TryAddWithoutValidation("X-User-Id", "bench-user");
                outgoing.TryAddWithoutValidation("X-Session-Handle", "00000000-0000-0000-0000-000000000000");
                var cookies = request.Headers.Cookie.ToString();
                var rest = !cookies.Contains(';', StringComparison.Ordinal)
                    ? ""
                    : string.Join("; ", cookies.Split("; ").Where(c => !c.StartsWith(TokenCookie + "=", StringComparison.Ordinal)));
                outgoing.Remove(HeaderNames.Cookie);
                if (rest.Length > 0)
                {
                    outgoing.TryAddWithoutValidation(HeaderNames.Cookie, rest);
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    internal sealed class ClientFactory : ForwarderHttpClientFactory
    {
        protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
            new LoginHeaders { InnerHandler = base.WrapHandler(context, handler) };
    }

    private sealed class LoginHeaders : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Take(response.Headers, "X-Session-Create");
            Take(response.Headers, "X-Session-Claims");
            return response;
        }

        private static void Take(HttpResponseHeaders headers, string name)
        {
            if (headers.NonValidated.Contains(name))
            {
                headers.Remove(name);
            }
        }
    }
}
