using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SessionGateway.Configuration;

/// <summary>
/// Turns YAML text into the flat key/value shape of <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>,
/// the same shape the JSON provider produces: mappings nest with <c>:</c>, sequences use their index, an empty
/// mapping or sequence is a key with a null value. Never throws: text that is not a configuration comes back as
/// problems, including shapes that would otherwise exhaust the stack or memory (nesting deeper than
/// <see cref="MaxDepth"/>, an alias inside the node it names or before its anchor, aliases that expand past
/// <see cref="MaxKeys"/> keys).
/// </summary>
internal static class YamlDocumentParser
{
    /// <summary>Far deeper than any configuration (ReverseProxy routes reach about 8 levels), far below the stack's limit.</summary>
    internal const int MaxDepth = 64;

    /// <summary>Far more keys than any configuration has; aliases of aliases could otherwise expand exponentially.</summary>
    internal const int MaxKeys = 100_000;

    private static readonly string[] NullLiterals = ["~", "null", "Null", "NULL"];

    public static YamlParseResult Parse(string path, string text) =>
        SimpleYamlReader.TryRead(path, text) is { } document ? new YamlParseResult(document, []) : ParseWithYamlDotNet(path, text);

    /// <summary>Every YAML file, and every error, read by YamlDotNet (<see cref="SimpleYamlReader"/> reads the common subset first).</summary>
    internal static YamlParseResult ParseWithYamlDotNet(string path, string text)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var locations = new Dictionary<string, ConfigLocation>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<ConfigProblem>();
        if (Prescan(path, text) is { } hostile)
        {
            // YamlDotNet builds its node tree recursively, and compares unresolved aliases recursively: these shapes
            // would overflow the stack (and end the process) before any node reached us.
            problems.Add(hostile);
            return new YamlParseResult(null, problems);
        }

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
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            // Some malformed input makes YamlDotNet fail without a position (an anchor on an empty key throws
            // ArgumentException, for one); the last event it produced is the closest place we can name.
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
                    Visit(mapping, "", new Walk(path, data, locations, problems));
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

    /// <summary>
    /// Reads the events once, without recursion, for the shapes YamlDotNet's load cannot survive: nesting deeper than
    /// <see cref="MaxDepth"/>, and an alias that names no anchor completed before it (one inside the node it names, or
    /// one written before its anchor: YAML forbids both, YamlDotNet resolves them late, and two such aliases as keys of
    /// one mapping make its comparison of them recurse without end). Syntax errors are left to the real load.
    /// </summary>
    private static ConfigProblem? Prescan(string path, string text)
    {
        using var reader = new StringReader(text);
        var parser = new Parser(reader);
        // The anchor each open collection carries (null for none), and whether each anchor's latest node is complete:
        // a name may be anchored again, and an alias names the latest.
        var open = new Stack<string?>();
        var complete = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case YamlDotNet.Core.Events.DocumentStart:
                        // Anchors belong to their document (a second one is refused after the load, which must survive it).
                        complete.Clear();
                        break;
                    case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart when open.Count >= MaxDepth:
                        return new ConfigProblem("", $"invalid YAML: nested deeper than {MaxDepth} levels", At(path, parser.Current.Start));
                    case YamlDotNet.Core.Events.NodeEvent { Anchor.IsEmpty: false } collection and (YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart):
                        open.Push(collection.Anchor.Value);
                        complete[collection.Anchor.Value] = false;
                        break;
                    case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                        open.Push(null);
                        break;
                    case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                        if (open.TryPop(out var closed) && closed is not null)
                        {
                            complete[closed] = true;
                        }

                        break;
                    case YamlDotNet.Core.Events.Scalar { Anchor.IsEmpty: false } scalar:
                        complete[scalar.Anchor.Value] = true;
                        break;
                    case YamlDotNet.Core.Events.AnchorAlias alias when !complete.TryGetValue(alias.Value.Value, out var done) || !done:
                        return new ConfigProblem("", complete.ContainsKey(alias.Value.Value)
                            ? $"invalid YAML: the alias *{alias.Value.Value} refers to a node that contains it"
                            : $"invalid YAML: the alias *{alias.Value.Value} names no anchor written before it", At(path, alias.Start));
                }
            }
        }
        catch (Exception exception) when (exception is YamlException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            // Reported by the load that follows.
        }

        return null;
    }

    /// <summary>What one walk of a document collects, and how deep it is (aliases can nest what the text does not).</summary>
    private sealed record Walk(
        string Path,
        Dictionary<string, string?> Data,
        Dictionary<string, ConfigLocation> Locations,
        List<ConfigProblem> Problems)
    {
        public int Depth { get; set; }

        public bool Stopped { get; set; }
    }

    private static void Visit(YamlNode node, string key, Walk walk)
    {
        if (walk.Stopped)
        {
            return;
        }

        if (walk.Depth >= MaxDepth || walk.Locations.Count >= MaxKeys)
        {
            // Nesting made of aliases (the text itself was checked), or aliases expanding to an enormous tree.
            walk.Problems.Add(new ConfigProblem(key, walk.Depth >= MaxDepth
                ? $"nested deeper than {MaxDepth} levels (through aliases)"
                : $"more than {MaxKeys} keys (aliases expanding?)", At(walk.Path, node.Start)));
            walk.Stopped = true;
            return;
        }

        walk.Depth++;
        VisitNode(node, key, walk);
        walk.Depth--;
    }

    private static void VisitNode(YamlNode node, string key, Walk walk)
    {
        var (path, data, locations, problems) = (walk.Path, walk.Data, walk.Locations, walk.Problems);
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

                    Visit(valueNode, child, walk);
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
                    Visit(item, child, walk);
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
