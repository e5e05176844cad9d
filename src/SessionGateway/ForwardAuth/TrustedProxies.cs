using System.Net;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// The networks whose forwarding headers are believed (<c>Session:ForwardAuth:TrustedProxies</c>). An IPv4 address
/// that reaches a dual-stack socket as <c>::ffff:a.b.c.d</c> is matched as the IPv4 address it is.
/// </summary>
internal sealed class TrustedProxies
{
    private readonly IPNetwork[] _networks;

    private TrustedProxies(IPNetwork[] networks) => _networks = networks;

    /// <summary>The networks, for ASP.NET Core's forwarded-headers options.</summary>
    public IReadOnlyList<IPNetwork> Networks => _networks;

    public bool Contains(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses each entry: a CIDR (<c>10.0.0.0/8</c>) or one address (<c>10.1.2.3</c>, <c>::1</c>).</summary>
    public static bool TryParse(IReadOnlyList<string> entries, out TrustedProxies proxies, out string? invalid)
    {
        var networks = new IPNetwork[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            if (!TryParseEntry(entries[i], out networks[i]))
            {
                invalid = entries[i];
                proxies = new TrustedProxies([]);
                return false;
            }
        }

        invalid = null;
        proxies = new TrustedProxies(networks);
        return true;
    }

    private static bool TryParseEntry(string entry, out IPNetwork network)
    {
        var text = entry.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
