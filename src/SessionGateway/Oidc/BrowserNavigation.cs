using SessionGateway.ForwardAuth;
using SessionGateway.Transport;

namespace SessionGateway.Oidc;

/// <summary>
/// <c>Session:Oidc:RedirectUnauthenticated</c>: a page the browser navigates to without a session is sent to the
/// provider's login, coming back to the same page. Fetch and XHR calls keep their 401 and 440, which the SDK reads
/// (it refreshes on 440); a navigation cannot refresh, and a JSON error page helps nobody.
/// </summary>
internal sealed class BrowserNavigation(string? provider)
{
    /// <summary>Whether the refusal of <paramref name="request"/> becomes a redirect to a login.</summary>
    public bool Redirects(HttpRequest request)
    {
        // A forward-auth decision is answered to the ingress, which does not pass a redirect on (nginx's auth_request
        // turns it into a 500): the ingress sends its own 401s to the login (see docs/login.md).
        if (provider is null || !HttpMethods.IsGet(request.Method) || request.HttpContext.Features.Get<ForwardAuthFeature>() is not null)
        {
            return false;
        }

        var headers = request.Headers;
        // The SDK marks its requests; whatever their Accept says, they get the protocol's answers.
        if (headers.ContainsKey(ProtocolNames.RidHeader) || headers.ContainsKey(ProtocolNames.AuthModeHeader))
        {
            return false;
        }

        foreach (var accept in headers.Accept)
        {
            if (accept is not null && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>302 to the login, with the requested path and query as the target.</summary>
    public Task RedirectAsync(HttpContext context)
    {
        var request = context.Request;
        var target = request.PathBase + request.Path + request.QueryString;
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = OidcPaths.Login(provider!, target.ToString());
        context.Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }
}
