using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using SessionGateway.Testing;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// deploy/kubernetes: every kustomization (base and overlay) holds <see cref="ManifestInvariants"/>, read by this
/// test and, where kubectl is installed, as <c>kubectl kustomize</c> renders it; and the proxy.yaml of every
/// ConfigMap passes the gateway's own <c>--check</c>, with the store and key file the Secret would give it.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class KubernetesManifestTests
{
    public static TheoryData<string> Kustomizations() => new(Manifests.Kustomizations());

    /// <summary>Every proxy.yaml a configMapGenerator reads.</summary>
    public static TheoryData<string> ConfigMapFiles() => new(
        Manifests.Kustomizations()
            .SelectMany(k => Manifests.Read(RepositoryFiles.PathOf(k)).ConfigMaps.Values.SelectMany(d => d.Keys.Select(key => (k, key))))
            .Select(p => $"{p.k}/{p.key}")
            .Where(f => File.Exists(RepositoryFiles.PathOf(f)))
            .Distinct()
            .Order(StringComparer.Ordinal));

    [Fact]
    public void BothLayouts_HaveABaseAndAnOverlay()
    {
        Assert.Equal(
            ["deploy/kubernetes/gateway-tier/base", "deploy/kubernetes/gateway-tier/overlay", "deploy/kubernetes/sidecar/base", "deploy/kubernetes/sidecar/overlay"],
            Manifests.Kustomizations());
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Kustomization_HoldsTheInvariants(string kustomization)
    {
        var problems = ManifestInvariants.Check(Manifests.Read(RepositoryFiles.PathOf(kustomization)));

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Kustomization_RenderedByKubectl_HoldsTheInvariants(string kustomization)
    {
        Skip.If(Kubectl.Unavailable is not null, Kubectl.Unavailable);

        var rendered = Manifests.FromRendered(Kubectl.Kustomize(RepositoryFiles.PathOf(kustomization)));
        var problems = ManifestInvariants.Check(rendered);

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Contains(rendered.OfKind("ConfigMap"), c => c.Text("metadata.name")!.StartsWith("session-gateway-config-", StringComparison.Ordinal));
    }

    /// <summary>The invariants catch what they are there for: each edit below, on a copy of a base, is reported.</summary>
    [Theory]
    [InlineData("sidecar", "deployment.yaml", "path: /readyz", "path: /healthz", "readinessProbe asks /healthz")]
    [InlineData("sidecar", "deployment.yaml", "              port: management\n            periodSeconds: 10", "              port: http\n            periodSeconds: 10", "livenessProbe asks port http")]
    [InlineData("sidecar", "proxy.yaml", "http://0.0.0.0:9090", "http://0.0.0.0:9091", "Session:Management:Urls says 9091")]
    [InlineData("gateway-tier", "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "container gateway: readOnlyRootFilesystem is not true")]
    [InlineData("gateway-tier", "deployment.yaml", "drop: [\"ALL\"]", "drop: [\"NET_RAW\"]", "capabilities.drop does not hold ALL")]
    [InlineData("gateway-tier", "deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot is not true")]
    [InlineData("gateway-tier", "deployment.yaml", "terminationGracePeriodSeconds: 35", "terminationGracePeriodSeconds: 24", "terminationGracePeriodSeconds 24 is less than ShutdownTimeoutSeconds 20 + 5 s")]
    [InlineData("gateway-tier", "proxy.yaml", "DrainDelay: 5s", "DrainDelay: 20s", "DrainDelay 20 s is not shorter than ShutdownTimeoutSeconds 20")]
    [InlineData("sidecar", "proxy.yaml", "ShutdownTimeoutSeconds: 20", "ShutdownTimeoutSeconds: 4", "DrainDelay 5 s is not shorter than ShutdownTimeoutSeconds 4")]
    [InlineData("gateway-tier", "horizontalpodautoscaler.yaml", "minReplicas: 2", "minReplicas: 1", "2+ replicas")]
    [InlineData("gateway-tier", "deployment.yaml", "failureThreshold: 15", "failureThreshold: 2", "readinessProbe gives up after 4 s")]
    [InlineData("gateway-tier", "deployment.yaml", "\n  strategy:\n", "\n  replicas: 2\n  strategy:\n", "spec.replicas is set next to a HorizontalPodAutoscaler")]
    [InlineData("sidecar", "deployment.yaml", "failureThreshold: 15", "failureThreshold: 14", "readinessProbe gives up after 28 s")]
    [InlineData("sidecar", "deployment.yaml", "value: http://127.0.0.1:5080", "value: http://0.0.0.0:5080", "container app: ASPNETCORE_URLS http://0.0.0.0:5080 is not on the pod's loopback")]
    [InlineData("sidecar", "deployment.yaml", "          image: app\n", "          image: app\n          ports:\n            - containerPort: 5080\n", "container app: publishes a port")]
    [InlineData("sidecar", "proxy.yaml", "Address: http://127.0.0.1:5080/", "Address: http://app.default.svc.cluster.local:5080/", "the destination http://app.default.svc.cluster.local:5080/ is not on the pod's loopback")]
    [InlineData("gateway-tier", "proxy.yaml", "  # Admin:\n  #   ApiKeyFile: /var/run/secrets/gateway-admin/api-key", "  Admin:\n    ApiKeyFile: /config/api-key", "Session:Admin:ApiKeyFile '/config/api-key' is not in a folder mounted from a Secret")]
    [InlineData("gateway-tier", "proxy.yaml", "  # Webhooks:\n  #   Url: https://hooks.example.com/session-gateway\n  #   SecretFile: /var/run/secrets/gateway-webhooks/secret", "  Webhooks:\n    Url: https://hooks.example.com/session-gateway\n    SecretFile: /etc/webhook-secret", "Session:Webhooks:SecretFile '/etc/webhook-secret' is not in a folder mounted from a Secret")]
    public void Invariants_ReportABrokenManifest(string layout, string file, string from, string to, string expected)
    {
        var problems = ProblemsOfEditedBase(layout, file, from, to);

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    /// <summary>
    /// The shutdown timeout is counted from SIGTERM and includes the drain delay: a delay of 15 s with a shutdown timeout
    /// of 20 s and a grace period of 35 s is sound (requests in flight get the last 5 s, the process is gone 15 s before
    /// the SIGKILL), and a grace period of exactly shutdown timeout + 5 s is enough.
    /// </summary>
    [Theory]
    [InlineData("gateway-tier", "proxy.yaml", "DrainDelay: 5s", "DrainDelay: 15s")]
    [InlineData("sidecar", "deployment.yaml", "terminationGracePeriodSeconds: 35", "terminationGracePeriodSeconds: 25")]
    public void Invariants_AcceptASoundDrainTiming(string layout, string file, string from, string to)
    {
        var problems = ProblemsOfEditedBase(layout, file, from, to);

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// The gateway tier's optional admin API key and webhook secret, as the comments in its proxy.yaml say to turn them on:
    /// each file is in a folder mounted from its (optional) Secret, and the management port that serves the admin API is
    /// not in the Service.
    /// </summary>
    [Theory]
    [InlineData("deploy/kubernetes/gateway-tier/base")]
    [InlineData("deploy/kubernetes/gateway-tier/overlay")]
    public void GatewayTier_WithTheAdminApiAndWebhooksUncommented_HoldsTheInvariants(string kustomization)
    {
        var copy = Directory.CreateTempSubdirectory("sg-k8s-").FullName;
        try
        {
            // The overlay's ../base must resolve: copy the layout, keep its shape.
            var layout = Path.GetDirectoryName(RepositoryFiles.PathOf(kustomization))!;
            foreach (var folder in new[] { "base", "overlay", "extras" })
            {
                Directory.CreateDirectory(Path.Combine(copy, folder));
                foreach (var source in Directory.EnumerateFiles(Path.Combine(layout, folder)))
                {
                    File.Copy(source, Path.Combine(copy, folder, Path.GetFileName(source)));
                }
            }

            var target = Path.Combine(copy, Path.GetFileName(kustomization), "proxy.yaml");
            File.WriteAllText(target, WithAdminAndWebhooks(File.ReadAllText(target)));
            var manifests = Manifests.Read(Path.Combine(copy, Path.GetFileName(kustomization)));

            var problems = ManifestInvariants.Check(manifests);

            Assert.True(problems.Count == 0, string.Join('\n', problems));
            var deployment = manifests.OfKind("Deployment").Single();
            var volumes = deployment.Items("spec.template.spec.volumes").ToDictionary(v => v.Text("name")!, StringComparer.Ordinal);
            Assert.Equal(("session-gateway-admin", "true", "api-key"), (volumes["admin"].Text("secret.secretName"), volumes["admin"].Text("secret.optional"), volumes["admin"].Items("secret.items").Single().Text("key")));
            Assert.Equal(("session-gateway-webhooks", "true", "secret"), (volumes["webhooks"].Text("secret.secretName"), volumes["webhooks"].Text("secret.optional"), volumes["webhooks"].Items("secret.items").Single().Text("key")));
            // The admin API is on the management port alone: no Service port leads to it.
            var managementPort = deployment.Items("spec.template.spec.containers").Single(c => c.Text("name") == "gateway").Items("ports").Single(p => p.Text("name") == "management").Text("containerPort");
            Assert.All(manifests.OfKind("Service").SelectMany(service => service.Items("spec.ports")), port => Assert.NotEqual(managementPort, port.Text("targetPort")));
            Assert.All(manifests.OfKind("Service").SelectMany(service => service.Items("spec.ports")), port => Assert.NotEqual("management", port.Text("targetPort")));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>
    /// The gateway tier's proxy.yaml with the admin API and webhooks uncommented passes <c>--check</c>, given the two
    /// files the Secrets would mount (the paths moved to a temporary folder through the environment, as the pod's own
    /// would be at the paths in the file).
    /// </summary>
    [SkippableFact]
    public async Task GatewayTierProxyYaml_WithTheAdminApiAndWebhooksUncommented_PassesCheck()
    {
        var text = WithAdminAndWebhooks(await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy", "kubernetes", "gateway-tier", "overlay", "proxy.yaml")));
        var store = await PostgresTestServer.CreateSchemaAsync("k8s");
        var directory = Directory.CreateTempSubdirectory("sg-k8s-check-").FullName;
        try
        {
            var apiKey = Path.Combine(directory, "api-key");
            await File.WriteAllTextAsync(apiKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            var secret = Path.Combine(directory, "secret");
            await File.WriteAllTextAsync(secret, "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            foreach (var file in new[] { apiKey, secret })
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead);
            }

            var (exitCode, output) = await CheckAsync(directory, text, store, new() { ["Session__Admin__ApiKeyFile"] = apiKey, ["Session__Webhooks__SecretFile"] = secret });

            Assert.True(exitCode == 0, $"--check exited with {exitCode}:\n{output}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            PostgresTestServer.DropSchema(store);
        }
    }

    /// <summary>The gateway tier's proxy.yaml with its commented admin API and webhook settings turned on, as its comments say.</summary>
    private static string WithAdminAndWebhooks(string proxyYaml)
    {
        (string From, string To)[] edits =
        [
            ("\n  # Admin:\n  #   ApiKeyFile:", "\n  Admin:\n    ApiKeyFile:"),
            ("\n  # Webhooks:\n  #   Url:", "\n  Webhooks:\n    Url:"),
            ("\n  #   SecretFile:", "\n    SecretFile:"),
            ("\n  #   Events:", "\n    Events:"),
        ];
        foreach (var (from, to) in edits)
        {
            Assert.Contains(from, proxyYaml, StringComparison.Ordinal);
            proxyYaml = proxyYaml.Replace(from, to, StringComparison.Ordinal);
        }

        return proxyYaml;
    }

    /// <summary>The invariants' problems with a copy of <paramref name="layout"/>'s base in which <paramref name="file"/> has <paramref name="from"/> replaced.</summary>
    private static IReadOnlyList<string> ProblemsOfEditedBase(string layout, string file, string from, string to)
    {
        var copy = Directory.CreateTempSubdirectory("sg-k8s-").FullName;
        try
        {
            foreach (var source in Directory.EnumerateFiles(RepositoryFiles.PathOf("deploy", "kubernetes", layout, "base")))
            {
                File.Copy(source, Path.Combine(copy, Path.GetFileName(source)));
            }

            var path = Path.Combine(copy, file);
            var text = File.ReadAllText(path);
            Assert.Contains(from, text, StringComparison.Ordinal);
            File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));

            return ManifestInvariants.Check(Manifests.Read(copy));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ConfigMapFiles))]
    public async Task ConfigMapProxyYaml_PassesCheck(string file)
    {
        var text = await File.ReadAllTextAsync(RepositoryFiles.PathOf(file));
        var postgres = text.Contains("Provider: postgres", StringComparison.Ordinal);
        var store = postgres ? await PostgresTestServer.CreateSchemaAsync("k8s") : null;
        var directory = Directory.CreateTempSubdirectory("sg-k8s-check-").FullName;
        try
        {
            var (exitCode, output) = await CheckAsync(directory, text, store);

            Assert.True(exitCode == 0, $"--check of {file} exited with {exitCode}:\n{output}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            if (store is not null)
            {
                PostgresTestServer.DropSchema(store);
            }
        }
    }

    /// <summary>The check above means something: the same file with a mistake in it fails <c>--check</c> with exit code 2, naming the key.</summary>
    [Fact]
    public async Task ConfigMapProxyYaml_WithAMistake_FailsCheck()
    {
        var text = await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy", "kubernetes", "sidecar", "base", "proxy.yaml"));
        var directory = Directory.CreateTempSubdirectory("sg-k8s-check-").FullName;
        try
        {
            var (exitCode, output) = await CheckAsync(directory, text.Replace("    DrainDelay: 5s", "    DrainDelay: soon", StringComparison.Ordinal), store: null);

            Assert.True(exitCode == 2, $"--check exited with {exitCode}:\n{output}");
            Assert.Contains("Session:Management:DrainDelay", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// <c>SessionGateway --config proxy.yaml --check</c> with what the pod's Secret gives it: a key file (0600) and the
    /// store's connection string in <c>Session__Store__ConnectionString</c> (a SQLite file here, or the test PostgreSQL).
    /// </summary>
    private static async Task<(int ExitCode, string Output)> CheckAsync(string directory, string proxyYaml, string? store, Dictionary<string, string>? environment = null)
    {
        var config = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(config, proxyYaml);
        var kek = Path.Combine(directory, "kek");
        await File.WriteAllTextAsync(kek, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(kek, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SessionGateway.dll"));
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        start.ArgumentList.Add("--check");
        start.Environment["Session__KeyEncryption__KeyFile"] = kek;
        start.Environment["Session__Store__ConnectionString"] = store ?? Path.Combine(directory, "sessions.db");
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"still running after 60 s (a gateway without --check starts instead of checking):\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }
}
