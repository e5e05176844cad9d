using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SessionGateway.Configuration;

/// <summary>
/// Turns YAML text into the flat key/value shape of <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>,
/// the same shape the JSON provider produces: mappings nest with <c>:</c>, sequences use their index, an empty
/// mapping or sequence is a key with a null value.
/// </summary>
internal static class YamlDocumentParser
{
    private static readonly string[] NullLiterals = ["~", "null", "Null", "NULL"];

    public static YamlParseResult Parse(string path, string text)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var locations = new Dictionary<string, ConfigLocation>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<ConfigProblem>();
        var stream = new YamlStream();
        using var reader = new StringReader(text);
        var parser = new Parser(reader);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            // YamlDotNet wraps the real cause; the innermost message is the one a person can act on.
            var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
            var mark = ex.InnerException is YamlException innerMark ? innerMark.Start : ex.Start;
            problems.Add(new ConfigProblem("", "invalid YAML: " + message, new ConfigLocation(path, (int)mark.Line, (int)mark.Column)));
            return new YamlParseResult(null, problems);
        }
        catch (InvalidOperationException)
        {
            // Some malformed input makes YamlDotNet's scanner fail without a position; the last event it
            // produced is the closest place we can name.
            var mark = parser.Current?.End ?? Mark.Empty;
            problems.Add(new ConfigProblem("", "invalid YAML: the parser could not read past this point", new ConfigLocation(path, Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column))));
            return new YamlParseResult(null, problems);
        }

        if (stream.Documents.Count > 1)
        {
            problems.Add(new ConfigProblem("", "expected one YAML document, found " + stream.Documents.Count, new ConfigLocation(path, 1, 1)));
        }

        if (stream.Documents.Count > 0)
        {
            var root = stream.Documents[0].RootNode;
            switch (root)
            {
                case YamlMappingNode mapping:
                    Visit(mapping, "", path, data, locations, problems);
                    break;
                case YamlScalarNode { Value: null or "" }:
                    break; // an empty file is an empty configuration
                default:
                    problems.Add(new ConfigProblem("", "the top level must be a mapping of keys", At(path, root.Start)));
                    break;
            }
        }

        return new YamlParseResult(problems.Count == 0 ? new YamlDocument(path, data, locations) : null, problems);
    }

    private static void Visit(
        YamlNode node,
        string key,
        string path,
        Dictionary<string, string?> data,
        Dictionary<string, ConfigLocation> locations,
        List<ConfigProblem> problems)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                if (mapping.Children.Count == 0 && key.Length > 0)
                {
                    data[key] = null;
                }

                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { Length: > 0 } name })
                    {
                        problems.Add(new ConfigProblem(key, "mapping keys must be plain, non-empty names", At(path, keyNode.Start)));
                        continue;
                    }

                    if (name.Contains(':', StringComparison.Ordinal))
                    {
                        problems.Add(new ConfigProblem(key, $"key '{name}' must not contain ':'", At(path, keyNode.Start)));
                        continue;
                    }

                    var child = key.Length == 0 ? name : key + ":" + name;
                    if (!locations.TryAdd(child, At(path, keyNode.Start)))
                    {
                        // Configuration keys are case-insensitive, so 'Routes' and 'routes' would silently merge.
                        var first = locations[child];
                        problems.Add(new ConfigProblem(child, $"duplicate key (first written on line {first.Line})", At(path, keyNode.Start)));
                        continue;
                    }

                    Visit(valueNode, child, path, data, locations, problems);
                }

                break;
            case YamlSequenceNode sequence:
                if (sequence.Children.Count == 0)
                {
                    data[key] = null;
                }

                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    var child = key + ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    locations[child] = At(path, item.Start);
                    Visit(item, child, path, data, locations, problems);
                }

                break;
            case YamlScalarNode scalar:
                data[key] = IsNull(scalar) ? null : scalar.Value;
                break;
            default:
                problems.Add(new ConfigProblem(key, "unsupported YAML node", At(path, node.Start)));
                break;
        }
    }

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && (scalar.Value is null || scalar.Value.Length == 0 || NullLiterals.Contains(scalar.Value));

    private static ConfigLocation At(string path, Mark mark) => new(path, (int)mark.Line, (int)mark.Column);
}
