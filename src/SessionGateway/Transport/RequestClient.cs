using SessionGateway.Storage;

namespace SessionGateway.Transport;

/// <summary>The client of a request as sessions and audit events record it: its address (after trusted forwarding) and user agent.</summary>
internal static class RequestClient
{
    public static ClientInfo? Of(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }

        return ClientInfo.Of(address?.ToString(), context.Request.Headers.UserAgent.ToString());
    }
}
