using System.Net;

namespace SessionGateway.Configuration;

/// <summary>
/// The listen addresses of <c>Urls</c> and <c>Session:Management:Urls</c> checked for what Kestrel would refuse only
/// when it binds (a start failing with exit code 1, or worse binding somewhere else): a scheme other than http and
/// https, a port that is no number or out of range, https with no certificate configured, and two addresses on one
/// port that cannot both be bound. What only binding can find (a port another process holds, a certificate file
/// Kestrel cannot load) is left to the start.
/// </summary>
internal static class ListenAddresses
{
    /// <summary>The addresses in <paramref name="urls"/> (<c>;</c>-separated), each problem added against <paramref name="key"/>.</summary>
    /// <param name="urls">The value of <paramref name="key"/>.</param>
    /// <param name="key">The configuration key the addresses come from, named in each problem.</param>
    /// <param name="example">An address to show when one is not an address at all.</param>
    /// <param name="configuration">The configuration in force (for the certificate settings).</param>
    /// <param name="problems">Where problems go; null to only parse.</param>
    /// <param name="httpOnly">Why only http:// is allowed here, or null when https:// is too.</param>
    /// <returns>Each address as written with its parsed form, for those without a problem of their own.</returns>
    public static List<(string Url, BindingAddress Address)> Check(
        string urls, string key, string example, IConfiguration configuration, List<ConfigProblem>? problems, string? httpOnly = null)
    {
        var addresses = new List<(string, BindingAddress)>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Problem(url, example, configuration, httpOnly, out var address) is { } message)
            {
                problems?.Add(new ConfigProblem(key, message));
            }
            else
            {
                addresses.Add((url, address!));
            }
        }

        CheckSharedPorts(addresses, key, problems);
        return addresses;
    }

    /// <summary>True when Kestrel has a certificate for https addresses from <c>Urls</c>.</summary>
    /// <remarks>
    /// Only <c>Kestrel:Certificates:Default</c> (a <c>Path</c> or a <c>Subject</c>) applies to them; a certificate of an
    /// entry under <c>Kestrel:Endpoints</c> is that endpoint's own. Kestrel would also fall back to the ASP.NET Core
    /// development certificate when one is installed for the user; that is machine state, not configuration, so it
    /// does not count here: name it in <c>Kestrel:Certificates:Default</c>.
    /// </remarks>
    private static bool HasDefaultCertificate(IConfiguration configuration) =>
        configuration["Kestrel:Certificates:Default:Path"] is { Length: > 0 } || configuration["Kestrel:Certificates:Default:Subject"] is { Length: > 0 };

    private static string? Problem(string url, string example, IConfiguration configuration, string? httpOnly, out BindingAddress? address)
    {
        address = null;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return $"'{url}' is not a listen address (for example {example})";
        }

        var https = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        if (httpOnly is not null && !string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            return $"'{url}' must be an http:// address ({httpOnly})";
        }

        if (!https && !string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            return $"'{url}' has the scheme '{address.Scheme}': Kestrel listens on http:// and https:// addresses only";
        }

        if (address.IsUnixPipe || address.IsNamedPipe)
        {
            return null;
        }

        // BindingAddress takes a port it cannot read as no port at all (so the scheme's default, 80 or 443) and keeps
        // the rest in the host, where Kestrel then sees a name and binds every interface.
        if (address.Host.Contains(':', StringComparison.Ordinal) && !(address.Host.StartsWith('[') && address.Host.EndsWith(']')))
        {
            return $"'{url}' does not end in a port number (for example {example})";
        }

        if (address.Port is < 0 or > IPEndPoint.MaxPort)
        {
            return $"'{url}' has the port {address.Port}: a port is 0 to {IPEndPoint.MaxPort}";
        }

        if (https && !HasDefaultCertificate(configuration))
        {
            return $"'{url}' is an https:// address but no certificate is configured: set Kestrel:Certificates:Default:Path (a .pfx, or a .pem with KeyPath) or Kestrel:Certificates:Default:Subject; the development certificate is not looked for";
        }

        return null;
    }

    /// <summary>
    /// Two addresses on one (fixed) port that Kestrel cannot both bind: the same one twice, or a wildcard and another
    /// wildcard. <c>[::]</c>, <c>*</c>, <c>+</c> and a host name are bound to IPv6's any address in dual mode, which
    /// takes IPv4's too, so <c>0.0.0.0</c> (or another of them) on the same port then fails with "address in use".
    /// </summary>
    private static void CheckSharedPorts(List<(string Url, BindingAddress Address)> addresses, string key, List<ConfigProblem>? problems)
    {
        var tcp = addresses.Where(a => !a.Address.IsUnixPipe && !a.Address.IsNamedPipe && a.Address.Port > 0).ToList();
        for (var i = 0; i < tcp.Count; i++)
        {
            for (var j = i + 1; j < tcp.Count; j++)
            {
                var (first, second) = (tcp[i], tcp[j]);
                if (first.Address.Port != second.Address.Port)
                {
                    continue;
                }

                var (a, b) = (Kind(first.Address.Host), Kind(second.Address.Host));
                if (string.Equals(first.Address.Host, second.Address.Host, StringComparison.OrdinalIgnoreCase))
                {
                    problems?.Add(new ConfigProblem(key, $"'{first.Url}' and '{second.Url}' are the same address twice"));
                }
                else if (a != HostKind.Specific && b != HostKind.Specific && (a == HostKind.DualMode || b == HostKind.DualMode))
                {
                    problems?.Add(new ConfigProblem(key,
                        $"'{first.Url}' and '{second.Url}' cannot both listen on port {first.Address.Port}: Kestrel binds [::], * and + to IPv6 and IPv4 at once, so the second bind fails (address in use); keep one of them, e.g. {first.Address.Scheme}://[::]:{first.Address.Port} or {first.Address.Scheme}://*:{first.Address.Port}"));
                }
            }
        }
    }

    private static HostKind Kind(string host)
    {
        if (host is "*" or "+" || host.Equals("[::]", StringComparison.Ordinal))
        {
            return HostKind.DualMode;
        }

        if (host.Equals("0.0.0.0", StringComparison.Ordinal))
        {
            return HostKind.IPv4Any;
        }

        // localhost and IP addresses are bound as they are; any other name means every interface (dual mode).
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out _)
            ? HostKind.Specific
            : HostKind.DualMode;
    }

    private enum HostKind
    {
        Specific,
        IPv4Any,
        DualMode,
    }
}
