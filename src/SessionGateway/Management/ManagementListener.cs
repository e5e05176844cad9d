using System.Globalization;
using SessionGateway.Configuration;

namespace SessionGateway.Management;

/// <summary>
/// Where the management listener listens (<c>Session:Management:Urls</c>) and the one port that tells its requests
/// apart from traffic: Kestrel binds the traffic and the management addresses together, and each request is routed by
/// the local port it arrived on, so the management port can be no traffic port.
/// </summary>
internal sealed record ManagementListener(IReadOnlyList<string> Urls, int Port)
{
    public const string UrlsKey = SessionSettings.SectionName + ":Management:Urls";
    public const string DrainDelayKey = SessionSettings.SectionName + ":Management:DrainDelay";

    // ASP.NET Core's own default when neither Urls nor http_ports/https_ports is set.
    private const string DefaultTrafficUrls = "http://localhost:5000";

    // The host's default shutdown timeout (HostOptions.ShutdownTimeout), which ShutdownTimeoutSeconds overrides.
    private static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The listener <paramref name="settings"/> describe, or null when none is configured or it has a mistake (each
    /// added to <paramref name="problems"/> with its key).
    /// </summary>
    public static ManagementListener? Parse(ManagementSettings settings, IConfiguration configuration, List<ConfigProblem>? problems)
    {
        if (settings.DrainDelay < TimeSpan.Zero)
        {
            problems?.Add(new ConfigProblem(DrainDelayKey, "must not be negative (0 turns the delay off)"));
        }
        else if (settings.Enabled && settings.DrainDelay >= ShutdownTimeout(configuration))
        {
            problems?.Add(new ConfigProblem(DrainDelayKey,
                $"{settings.DrainDelay.TotalSeconds:0.###} s is not shorter than the host's shutdown timeout ({ShutdownTimeout(configuration).TotalSeconds:0} s, ShutdownTimeoutSeconds): the drain delay is part of it, and requests still in flight when the listeners stop get only what is left"));
        }

        if (!settings.Enabled)
        {
            return null;
        }

        var before = problems?.Count ?? 0;
        var urls = settings.Urls!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ports = new HashSet<int>();
        var addresses = ListenAddresses.Check(settings.Urls!, UrlsKey, "http://0.0.0.0:9090", configuration, problems,
            httpOnly: "probes and metrics are served without TLS; keep the port off the public network");
        var failed = addresses.Count != urls.Length;
        foreach (var (url, address) in addresses)
        {
            if (address.IsNamedPipe || address.IsUnixPipe)
            {
                Fail($"'{url}' must be a TCP address with a port");
            }
            else if (address.PathBase.Length > 0)
            {
                Fail($"'{url}' must not have a path");
            }
            else if (address.Port == 0)
            {
                Fail($"'{url}' needs a fixed port: requests are told apart from traffic by the port they arrive on");
            }
            else
            {
                ports.Add(address.Port);
            }
        }

        if (ports.Count > 1)
        {
            Fail($"all management addresses must use one port (found {string.Join(", ", ports.Order())})");
        }

        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            Fail("cannot be combined with Kestrel:Endpoints, which replace every address from Urls; use Urls for the traffic addresses");
        }

        if (ports.Count == 1 && TrafficPorts(configuration).Contains(ports.Single()))
        {
            Fail($"port {ports.Single()} is also a traffic port ({TrafficUrls(configuration)}): the management listener needs a port of its own");
        }

        return failed || (problems?.Count ?? 0) > before || ports.Count != 1 ? null : new ManagementListener(urls, ports.Single());

        void Fail(string message)
        {
            failed = true;
            problems?.Add(new ConfigProblem(UrlsKey, message));
        }
    }

    /// <summary>
    /// The traffic addresses Kestrel would bind without a management listener: <c>Urls</c>, else
    /// <c>http_ports</c>/<c>https_ports</c>, else ASP.NET Core's default.
    /// </summary>
    public static string TrafficUrls(IConfiguration configuration)
    {
        if (configuration["Urls"] is { Length: > 0 } urls)
        {
            return urls;
        }

        var fromPorts = Ports(configuration["http_ports"]).Select(p => "http://*:" + p)
            .Concat(Ports(configuration["https_ports"]).Select(p => "https://*:" + p))
            .ToList();
        return fromPorts.Count > 0 ? string.Join(';', fromPorts) : DefaultTrafficUrls;

        static IEnumerable<string> Ports(string? list) =>
            (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Every address Kestrel binds: the traffic ones, then the management ones.</summary>
    public string CombinedUrls(IConfiguration configuration) => TrafficUrls(configuration) + ";" + string.Join(';', Urls);

    private static HashSet<int> TrafficPorts(IConfiguration configuration)
    {
        var ports = new HashSet<int>();
        foreach (var url in TrafficUrls(configuration).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                ports.Add(BindingAddress.Parse(url).Port);
            }
            catch (FormatException)
            {
                // Reported against Urls by the host settings check (ListenAddresses), which runs first.
            }
        }

        return ports;
    }

    private static TimeSpan ShutdownTimeout(IConfiguration configuration) =>
        int.TryParse(configuration["ShutdownTimeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : DefaultShutdownTimeout;
}
