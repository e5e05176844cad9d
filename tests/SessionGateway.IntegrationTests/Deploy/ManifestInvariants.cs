using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// What every Deployment in deploy/kubernetes must hold, as a list of problems (empty when all is well): the probes
/// on the gateway's management port (the port its proxy.yaml's Session:Management:Urls names) at the right paths, a
/// readiness probe that rides out a store failover, a
/// non-root, read-only, capability-less container, DrainDelay &lt; ShutdownTimeoutSeconds &lt; the grace period, the secrets from a Secret,
/// in a sidecar pod the gateway as the only way in (the app publishes no port, listens and is reached on loopback),
/// and what the store chosen in proxy.yaml needs (SQLite: one replica on a volume; PostgreSQL: 2+ replicas, a
/// disruption budget, an autoscaler).
/// </summary>
internal static class ManifestInvariants
{
    /// <summary>ASP.NET Core's default HostOptions.ShutdownTimeout.</summary>
    private const int DefaultShutdownSeconds = 30;

    /// <summary>What the grace period must leave after the shutdown timeout: disposal (the last OTLP export) and exit.</summary>
    private const int ExitMarginSeconds = 5;

    /// <summary>
    /// How long the readiness probe must keep a replica in the Service while /readyz says the store is unavailable: a
    /// PostgreSQL restart or a managed failover (Patroni's default leader TTL is 30 s; most managed services promote a
    /// standby within 30 to 60 s) takes tens of seconds, and an outage longer than that still empties the Service.
    /// </summary>
    private const int MinReadinessToleranceSeconds = 30;

    /// <summary>The contract's default Session:Management:DrainDelay.</summary>
    private static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<string> Check(Manifests manifests)
    {
        var problems = new List<string>();
        var deployments = manifests.OfKind("Deployment").ToList();
        if (deployments.Count == 0)
        {
            problems.Add("no Deployment");
        }

        foreach (var deployment in deployments)
        {
            CheckDeployment(manifests, deployment, problems);
        }

        return problems;
    }

    private static void CheckDeployment(Manifests manifests, YamlMappingNode deployment, List<string> problems)
    {
        var name = deployment.Text("metadata.name");
        void Problem(string text) => problems.Add($"Deployment {name}: {text}");

        var pod = deployment.At("spec.template.spec");
        if (pod.Text("securityContext.runAsNonRoot") != "true")
        {
            Problem("securityContext.runAsNonRoot is not true");
        }

        if (pod.Text("securityContext.seccompProfile.type") != "RuntimeDefault")
        {
            Problem("securityContext.seccompProfile.type is not RuntimeDefault");
        }

        if (pod.Text("automountServiceAccountToken") != "false")
        {
            Problem("automountServiceAccountToken is not false");
        }

        var containers = pod.Items("containers").Concat(pod.Items("initContainers")).ToList();
        foreach (var container in containers)
        {
            var where = "container " + container.Text("name");
            if (container.Text("securityContext.readOnlyRootFilesystem") != "true")
            {
                Problem(where + ": readOnlyRootFilesystem is not true");
            }

            if (container.Text("securityContext.allowPrivilegeEscalation") != "false")
            {
                Problem(where + ": allowPrivilegeEscalation is not false");
            }

            if (!container.Strings("securityContext.capabilities.drop").Contains("ALL"))
            {
                Problem(where + ": capabilities.drop does not hold ALL");
            }

            if (container.Text("resources.requests.cpu") is null || container.Text("resources.requests.memory") is null || container.Text("resources.limits.memory") is null)
            {
                Problem(where + ": resources need requests (cpu, memory) and a memory limit");
            }
        }

        var gateways = pod.Items("containers").Where(c => c.Text("image")?.Contains("session-gateway", StringComparison.Ordinal) == true).ToList();
        if (gateways.Count != 1)
        {
            Problem($"{gateways.Count} gateway containers (image session-gateway), expected 1");
            return;
        }

        var gateway = gateways[0];
        var config = GatewayConfig(manifests, pod, gateway, Problem);
        if (config is null)
        {
            return;
        }

        // The management port: proxy.yaml's Session:Management:Urls, unless the container's environment overrides it.
        var managementUrls = Env(gateway, "Session__Management__Urls") ?? config.Text("Session.Management.Urls", ignoreCase: true);
        if (managementUrls is null || !Uri.TryCreate(managementUrls.Replace("://*", "://h", StringComparison.Ordinal).Replace("://+", "://h", StringComparison.Ordinal), UriKind.Absolute, out var managementUri))
        {
            Problem($"Session:Management:Urls is '{managementUrls}': the probes need the management listener on one http address");
            return;
        }

        var managementPort = managementUri.Port;
        var httpPort = ContainerPort(gateway, "http");
        if (httpPort is null)
        {
            Problem("the gateway container has no port named http");
        }

        if (ContainerPort(gateway, "management") != managementPort)
        {
            Problem($"the gateway's containerPort named management is {ContainerPort(gateway, "management")}, Session:Management:Urls says {managementPort}");
        }

        if (managementPort == httpPort)
        {
            Problem("the management port is the traffic port");
        }

        CheckSidecar(pod, gateway, config, Problem);
        CheckProbe(gateway, "livenessProbe", ["/healthz"], managementPort, Problem);
        CheckProbe(gateway, "readinessProbe", ["/readyz"], managementPort, Problem);
        CheckProbe(gateway, "startupProbe", ["/healthz", "/readyz"], managementPort, Problem);

        // /readyz is 503 while the store does not answer. With a shared store every replica fails together, so a
        // probe that gives up quickly empties the Service during a database failover, though the gateway still serves
        // every request with an access token. The probe must tolerate MinReadinessTolerance of store outage.
        var tolerance = ProbeSeconds(gateway, "readinessProbe.periodSeconds", 10) * ProbeSeconds(gateway, "readinessProbe.failureThreshold", 3);
        if (tolerance < MinReadinessToleranceSeconds)
        {
            Problem($"readinessProbe gives up after {tolerance} s (periodSeconds x failureThreshold), less than {MinReadinessToleranceSeconds} s: a store failover would take every replica out of the Service");
        }

        // The shutdown timeout is counted from SIGTERM and the drain delay is part of it (requests in flight when the
        // listeners close get what is left); the kubelet SIGKILLs at the end of the grace period, which must leave the
        // process a few seconds after the shutdown timeout to dispose (the last OTLP export) and exit.
        var drain = Duration(Env(gateway, "Session__Management__DrainDelay") ?? config.Text("Session.Management.DrainDelay", ignoreCase: true)) ?? DefaultDrainDelay;
        var shutdown = int.Parse(config.Text("ShutdownTimeoutSeconds", ignoreCase: true) ?? DefaultShutdownSeconds.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var grace = int.Parse(pod.Text("terminationGracePeriodSeconds") ?? "30", CultureInfo.InvariantCulture);
        if (drain.TotalSeconds >= shutdown)
        {
            Problem($"DrainDelay {drain.TotalSeconds} s is not shorter than ShutdownTimeoutSeconds {shutdown} (the delay is part of the shutdown timeout)");
        }

        if (grace < shutdown + ExitMarginSeconds)
        {
            Problem($"terminationGracePeriodSeconds {grace} is less than ShutdownTimeoutSeconds {shutdown} + {ExitMarginSeconds} s for the process to exit");
        }

        var mounts = gateway.Items("volumeMounts").ToList();
        var volumes = pod.Items("volumes").ToDictionary(v => v.Text("name")!, StringComparer.Ordinal);
        YamlMappingNode? VolumeAt(string path) =>
            mounts.Where(m => m.Text("mountPath") == path).Select(m => volumes.GetValueOrDefault(m.Text("name")!)).FirstOrDefault();

        if (VolumeAt("/tmp") is not { } tmp || tmp.At("emptyDir") is null)
        {
            Problem("no emptyDir at /tmp (.NET's diagnostics socket, SQLite's temporary files)");
        }

        var keyFile = config.Text("Session.KeyEncryption.KeyFile", ignoreCase: true);
        if (keyFile is null || VolumeAt(Path.GetDirectoryName(keyFile)!)?.At("secret") is null)
        {
            Problem($"Session:KeyEncryption:KeyFile '{keyFile}' is not in a folder mounted from a Secret");
        }

        // The optional secrets (the admin API key, the webhook signing secret): when proxy.yaml names the file, it comes
        // from a Secret too, never from the ConfigMap or the image.
        foreach (var key in new[] { "Session.Admin.ApiKeyFile", "Session.Webhooks.SecretFile" })
        {
            if (config.Text(key, ignoreCase: true) is { } secretFile && VolumeAt(Path.GetDirectoryName(secretFile)!)?.At("secret") is null)
            {
                Problem($"{key.Replace('.', ':')} '{secretFile}' is not in a folder mounted from a Secret");
            }
        }

        var connection = gateway.Items("env").FirstOrDefault(e => e.Text("name") == "Session__Store__ConnectionString");
        if (connection?.At("valueFrom.secretKeyRef") is null)
        {
            Problem("Session__Store__ConnectionString does not come from a Secret");
        }

        var replicas = int.Parse(deployment.Text("spec.replicas") ?? "1", CultureInfo.InvariantCulture);
        switch (config.Text("Session.Store.Provider", ignoreCase: true)?.ToLowerInvariant() ?? "sqlite")
        {
            case "sqlite":
                if (replicas != 1 || deployment.Text("spec.strategy.type") != "Recreate")
                {
                    Problem("the SQLite store is for one process: replicas 1 with strategy Recreate");
                }

                if (VolumeAt("/data") is not { } data || (data.At("persistentVolumeClaim") is null && data.At("emptyDir") is null))
                {
                    Problem("the SQLite store needs a volume at /data");
                }

                break;
            case "postgres":
                var autoscaler = manifests.OfKind("HorizontalPodAutoscaler").FirstOrDefault(h => h.Text("spec.scaleTargetRef.name") == name);
                if (autoscaler is null || int.Parse(autoscaler.Text("spec.minReplicas") ?? "1", CultureInfo.InvariantCulture) < 2)
                {
                    Problem("a PostgreSQL tier needs 2+ replicas: a HorizontalPodAutoscaler with minReplicas 2+");
                }
                else if (deployment.Text("spec.replicas") is not null)
                {
                    // The autoscaler owns the count; a replicas field resets it at every kubectl apply.
                    Problem("spec.replicas is set next to a HorizontalPodAutoscaler: every kubectl apply would reset the replica count");
                }

                if (!manifests.OfKind("PodDisruptionBudget").Any(b => Selects(b.At("spec.selector.matchLabels"), deployment)))
                {
                    Problem("no PodDisruptionBudget selects its pods");
                }

                if (!pod.Items("topologySpreadConstraints").Any())
                {
                    Problem("no topologySpreadConstraints");
                }

                break;
            case var other:
                Problem("unknown Session:Store:Provider " + other);
                break;
        }

        foreach (var service in manifests.OfKind("Service").Where(s => Selects(s.At("spec.selector"), deployment)))
        {
            foreach (var port in service.Items("spec.ports"))
            {
                if (ResolvePort(gateway, port.Text("targetPort")) != httpPort)
                {
                    Problem($"Service {service.Text("metadata.name")} sends port {port.Text("port")} to {port.Text("targetPort")}, not to the gateway's http port");
                }
            }
        }
    }

    /// <summary>The gateway's proxy.yaml: the file its <c>--config</c> names, from the ConfigMap mounted at that folder.</summary>
    private static YamlMappingNode? GatewayConfig(Manifests manifests, YamlNode? pod, YamlMappingNode gateway, Action<string> problem)
    {
        var args = gateway.Strings("args").ToList();
        var index = args.IndexOf("--config");
        if (index < 0 || index + 1 >= args.Count)
        {
            problem("the gateway container's args do not name --config");
            return null;
        }

        var path = args[index + 1];
        var mount = gateway.Items("volumeMounts").FirstOrDefault(m => m.Text("mountPath") == Path.GetDirectoryName(path));
        var volume = pod.Items("volumes").FirstOrDefault(v => v.Text("name") == mount?.Text("name"));
        var configMap = volume.Text("configMap.name");
        if (configMap is null || !manifests.ConfigMaps.TryGetValue(configMap, out var data) || !data.TryGetValue(Path.GetFileName(path), out var text))
        {
            problem($"--config {path} is not a file of a ConfigMap of this kustomization");
            return null;
        }

        return Yaml.LoadDocuments(text).Single();
    }

    /// <summary>
    /// A pod with the app beside the gateway: the gateway is the only way in. The app's containers publish no port (the
    /// Service can reach only the gateway's), the app listens on the pod's loopback (its ASP.NET Core address, where it
    /// is set), and every destination in proxy.yaml is on that loopback, never an address outside the pod.
    /// </summary>
    private static void CheckSidecar(YamlNode? pod, YamlMappingNode gateway, YamlMappingNode config, Action<string> problem)
    {
        var apps = pod.Items("containers").Where(c => !ReferenceEquals(c, gateway)).ToList();
        if (apps.Count == 0)
        {
            return;
        }

        foreach (var app in apps)
        {
            var where = "container " + app.Text("name");
            if (app.Items("ports").Any())
            {
                problem(where + ": publishes a port; in a sidecar pod only the gateway may, the app listens on 127.0.0.1");
            }

            if (Env(app, "ASPNETCORE_URLS") is { } urls && urls.Split(';').Any(url => !IsLoopback(url)))
            {
                problem($"{where}: ASPNETCORE_URLS {urls} is not on the pod's loopback only");
            }
        }

        var destinations = (config.At("ReverseProxy.Clusters", ignoreCase: true) as YamlMappingNode)?.Children.Values
            .SelectMany(cluster => (cluster.At("Destinations", ignoreCase: true) as YamlMappingNode)?.Children.Values ?? [])
            .Select(destination => destination.Text("Address", ignoreCase: true))
            .ToList() ?? [];
        if (destinations.Count == 0)
        {
            problem("proxy.yaml has no cluster destination");
        }

        foreach (var address in destinations.Where(a => a is null || !IsLoopback(a)))
        {
            problem($"the destination {address} is not on the pod's loopback: in a sidecar pod the gateway forwards to the app beside it");
        }
    }

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
        && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase));

    private static void CheckProbe(YamlMappingNode container, string probe, string[] paths, int managementPort, Action<string> problem)
    {
        var get = container.At(probe + ".httpGet");
        if (get is null)
        {
            problem($"no {probe} with httpGet");
            return;
        }

        if (!paths.Contains(get.Text("path")))
        {
            problem($"{probe} asks {get.Text("path")}, expected {string.Join(" or ", paths)}");
        }

        if (ResolvePort(container, get.Text("port")) != managementPort)
        {
            problem($"{probe} asks port {get.Text("port")}, not the management port {managementPort}");
        }
    }

    /// <summary>A probe field in seconds or a count, with Kubernetes' default when it is not set.</summary>
    private static int ProbeSeconds(YamlMappingNode container, string path, int kubernetesDefault) =>
        int.Parse(container.Text(path) ?? kubernetesDefault.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static int? ContainerPort(YamlMappingNode container, string name) =>
        container.Items("ports").Where(p => p.Text("name") == name).Select(p => (int?)int.Parse(p.Text("containerPort")!, CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>A port given by number or by the name of one of the container's ports.</summary>
    private static int? ResolvePort(YamlMappingNode container, string? port) =>
        int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : port is null ? null : ContainerPort(container, port);

    private static string? Env(YamlMappingNode container, string name) =>
        container.Items("env").Where(e => e.Text("name") == name).Select(e => e.Text("value")).FirstOrDefault();

    private static bool Selects(YamlNode? selector, YamlMappingNode deployment) =>
        selector is YamlMappingNode wanted && wanted.Children.Count > 0
        && deployment.At("spec.template.metadata.labels") is YamlMappingNode labels
        && wanted.Children.All(w => labels.Children.Any(l =>
            ((YamlScalarNode)l.Key).Value == ((YamlScalarNode)w.Key).Value && ((YamlScalarNode)l.Value).Value == ((YamlScalarNode)w.Value).Value));

    /// <summary>A duration as docs/configuration.md writes them: a TimeSpan or a number with ms, s, m, h or d.</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var (suffix, unit) in new[] { ("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0) })
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return TimeSpan.FromSeconds(value * unit);
            }
        }

        return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
    }
}
