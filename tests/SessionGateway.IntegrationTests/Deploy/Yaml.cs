using YamlDotNet.RepresentationModel;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>Reading Kubernetes objects and proxy.yaml through YamlDotNet's node model.</summary>
internal static class Yaml
{
    public static IReadOnlyList<YamlMappingNode> LoadDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    /// <summary>The node at a path of keys, or null. <paramref name="ignoreCase"/> for proxy.yaml, whose keys are case-insensitive.</summary>
    public static YamlNode? At(this YamlNode? node, string path, bool ignoreCase = false)
    {
        foreach (var key in path.Split('.'))
        {
            if (node is not YamlMappingNode mapping)
            {
                return null;
            }

            node = mapping.Children
                .Where(pair => string.Equals(((YamlScalarNode)pair.Key).Value, key, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                .Select(pair => pair.Value)
                .FirstOrDefault();
        }

        return node;
    }

    public static string? Text(this YamlNode? node, string path, bool ignoreCase = false) =>
        (node.At(path, ignoreCase) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlMappingNode> Items(this YamlNode? node, string path) =>
        (node.At(path) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>() ?? [];

    public static IEnumerable<string> Strings(this YamlNode? node, string path) =>
        (node.At(path) as YamlSequenceNode)?.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "") ?? [];
}
