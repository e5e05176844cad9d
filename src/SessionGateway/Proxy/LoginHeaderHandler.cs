using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;

namespace SessionGateway.Proxy;

/// <summary>
/// Takes the login headers (<c>Session:Login:CreateHeader</c> and <c>ClaimsHeader</c>) off every upstream
/// response before YARP copies the response's headers to the client's. A value with a non-ASCII or control
/// character cannot be copied there (Kestrel refuses it, and YARP answers an empty 502); taken off here, it reaches
/// <see cref="SessionLoginTransform"/> through the request's options, which decides, on login routes, whether it is
/// a user id, and says why not. The headers never reach a client in any case.
/// </summary>
internal sealed class LoginHeaderHandler(IOptionsMonitor<SessionSettings> settings, Encoding wireEncoding) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var login = settings.CurrentValue.Login;
        var userIds = Take(response.Headers, login.CreateHeader);
        var claims = Take(response.Headers, login.ClaimsHeader);
        if (userIds is not null || claims is not null)
        {
            request.Options.Set(UpstreamLoginHeaders.Key, new UpstreamLoginHeaders(userIds ?? [], claims ?? [], wireEncoding));
        }

        return response;
    }

    private static string[]? Take(HttpResponseHeaders headers, string name)
    {
        if (!headers.NonValidated.TryGetValues(name, out var values))
        {
            return null;
        }

        var taken = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            taken[i++] = value;
        }

        headers.Remove(name);
        return taken;
    }
}
