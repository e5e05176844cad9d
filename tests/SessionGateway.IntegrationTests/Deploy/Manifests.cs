using YamlDotNet.RepresentationModel;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// The Kubernetes objects and ConfigMaps a kustomization produces, read two ways: from <c>kubectl kustomize</c>'s
/// output where kubectl is installed (<see cref="FromRendered"/>), and, everywhere, by this test's own reading of the
/// small part of kustomize the manifests use (<see cref="Read"/>). That reading refuses any other kustomization field,
/// so it cannot misread a kustomization that grew a patch: the test fails and names the field instead.
/// </summary>
internal sealed record Manifests(
    IReadOnlyList<YamlMappingNode> Objects,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfigMaps)
{
    private static readonly HashSet<string> UnderstoodFields = ["apiVersion", "kind", "resources", "configMapGenerator", "namespace", "images"];

    public IEnumerable<YamlMappingNode> OfKind(string kind) => Objects.Where(o => o.Text("kind") == kind);

    /// <summary>Reads the kustomization in <paramref name="directory"/>: its resources (files and kustomization folders) and generated ConfigMaps.</summary>
    public static Manifests Read(string directory)
    {
        var kustomization = Yaml.LoadDocuments(File.ReadAllText(Path.Combine(directory, "kustomization.yaml"))).Single();
        var unknown = kustomization.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!).Where(k => !UnderstoodFields.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new NotSupportedException(
                $"{directory}/kustomization.yaml uses {string.Join(", ", unknown)}, which this test's reading of kustomize does not apply; teach Manifests.Read");
        }

        var objects = new List<YamlMappingNode>();
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var resource in kustomization.Strings("resources"))
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path))
            {
                var inner = Read(path);
                objects.AddRange(inner.Objects);
                foreach (var (name, data) in inner.ConfigMaps)
                {
                    configMaps.Add(name, data);
                }
            }
            else
            {
                objects.AddRange(Yaml.LoadDocuments(File.ReadAllText(path)));
            }
        }

        foreach (var generator in kustomization.Items("configMapGenerator"))
        {
            var name = generator.Text("name")!;
            var data = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in generator.Strings("files"))
            {
                var (key, file) = entry.Split('=', 2) is [var k, var f] ? (k, f) : (Path.GetFileName(entry), entry);
                data.Add(key, File.ReadAllText(Path.Combine(directory, file)));
            }

            switch (generator.Text("behavior") ?? "create")
            {
                case "create":
                    configMaps.Add(name, data);
                    break;
                case "replace" when configMaps.ContainsKey(name):
                    configMaps[name] = data;
                    break;
                default:
                    throw new NotSupportedException($"{directory}/kustomization.yaml: configMapGenerator {name}: behavior {generator.Text("behavior")} is not applied by this test");
            }
        }

        return new Manifests(objects, configMaps);
    }

    /// <summary>The objects of <c>kubectl kustomize</c>'s output; its ConfigMaps by their (hash-suffixed) names, as the Deployments name them.</summary>
    public static Manifests FromRendered(string yaml)
    {
        var objects = Yaml.LoadDocuments(yaml);
        var configMaps = objects
            .Where(o => o.Text("kind") == "ConfigMap")
            .ToDictionary(
                o => o.Text("metadata.name")!,
                o => (IReadOnlyDictionary<string, string>)((o.At("data") as YamlMappingNode)?.Children
                    .ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? "") ?? []),
                StringComparer.Ordinal);
        return new Manifests(objects, configMaps);
    }

    /// <summary>Every folder under deploy/kubernetes that holds a kustomization, relative to the repository root.</summary>
    public static IReadOnlyList<string> Kustomizations() =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf("deploy", "kubernetes"), "kustomization.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryFiles.Root, Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}
