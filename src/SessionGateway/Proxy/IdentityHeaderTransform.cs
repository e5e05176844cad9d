using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// Runs on every forwarded request: removes each identity header the client sent, in every spelling. YARP's
/// header transforms leave an inbound header alone when they have nothing to set, so removal is done here,
/// unconditionally, after YARP copied the client's headers.
/// </summary>
internal sealed class IdentityHeaderTransform : RequestTransform
{
    private IdentityHeaderFilter _filter;

    public IdentityHeaderTransform(IOptionsMonitor<SessionSettings> settings)
    {
        _filter = new IdentityHeaderFilter(settings.CurrentValue.Headers);
        settings.OnChange(s => _filter = new IdentityHeaderFilter(s.Headers));
    }

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var filter = _filter;
        foreach (var header in context.HttpContext.Request.Headers)
        {
            if (filter.IsOwned(header.Key))
            {
                context.ProxyRequest.Headers.Remove(header.Key);
                context.ProxyRequest.Content?.Headers.Remove(header.Key);
            }
        }

        return ValueTask.CompletedTask;
    }
}
