using System.Text;
using CsCheck;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

/// <summary>
/// <see cref="SimpleYamlReader"/> against YamlDotNet on generated configuration files: whatever the simple reader
/// reads, YamlDotNet reads without a problem and to the same keys, values and places (a start must not depend on
/// which of the two read the file); and the shapes configurations are written in stay in its subset (else every start
/// quietly pays for YamlDotNet again).
/// </summary>
[Trait("Category", PropertyRun.Category)]
public sealed class SimpleYamlReaderProperties
{
    private const string EditCharacters = " \n\r\t:-?,[]{}#&*!|>'\"%@`~.\\/0aZ\u00e9+=$()";

    private static readonly string[] EditLines = ["---", "...", "--- # doc", "%YAML 1.1", "- x", "? a", "a: b", "<<: *a", "  b: 1", "[a]", "x"];

    private static readonly string[] Keys = ["Session", "Routes", "routes", "a", "B", "x-y", "k.v", "key/1", "0", "null", "_x", "Path"];

    private static readonly string[] Scalars =
    [
        "value", "15m", "http://127.0.0.1:8080", "/api/{**rest}", "a b", "-1", "~", "null", "NULL", "Null", "true",
        "a#b", "a #b", "a, b", "x]", "x}", "it's", "a:b", "a: b", "b:", "'it''s'", "''", "'a # b'", "\"x y\"", "\"\"",
        "\"{**catch-all}\"", "\"a\\tb\"", "'q'x", "\"q\" # c", "&a x", "*a", "!!str x", "|", ">", "%x", "@x", "`x",
        "?x", ":x", "-x", "- x", "[a, b]", "[]", "{}", "{ a: 1, b: \"2\" }", "[a, 'b c', \"d\"]", "[a b]", "[a,]", "{a: }",
        "{a:b}", "[[a]]", "[a]#c", "[a] # c", "{ A: 1, a: 2 }", "[~, null, x*]", "[127.0.0.0/8, \"::1/128\"]",
    ];

    // The shapes written in this repository's configurations, which must stay in the simple reader's subset.
    private static readonly string[] SubsetScalars =
    [
        "value", "15m", "http://127.0.0.1:8080", "/api/{**rest}", "a b", "-1", "~", "null", "true", "a#b", "it's",
        "a:b", "'it''s'", "''", "\"x y\"", "\"{**catch-all}\"", "[POST]", "[a, 'b c', \"d\"]", "[]", "{}",
        "{ Path: /login }", "{ a: 1, b: \"2\" }", "[127.0.0.0/8, \"::1/128\"]", "value # comment",
    ];

    [Fact]
    public void TryRead_GeneratedAndEditedFiles_ReadsOnlyWhatYamlDotNetReadsTheSame()
    {
        // Half the files start in the subset, so that edits often leave text both readers read (where they could differ).
        Gen.Select(Gen.Int, Gen.Int[0, 4], Gen.Bool).Sample(
            (seed, edits, inSubset) => AssertAgrees(Edit(
                inSubset ? Render(new Random(seed), Keys, SubsetScalars, unique: true) : Render(new Random(seed), Keys, Scalars),
                new Random(~seed),
                edits)),
            iter: PropertyRun.Iter(20_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public void TryRead_FilesInTheConfigurationShapes_AreReadWithoutYamlDotNet()
    {
        Gen.Int.Sample(
            seed =>
            {
                var text = Render(new Random(seed), Keys.Except(["routes"]).ToArray(), SubsetScalars, unique: true);
                Assert.True(SimpleYamlReader.TryRead("proxy.yaml", text) is not null, text);
                AssertAgrees(text);
            },
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    [Theory]
    [InlineData("proxy.yaml")]
    [InlineData("deploy/proxy.forward-auth.yaml")]
    [InlineData("deploy/kubernetes/gateway-tier/base/proxy.yaml")]
    [InlineData("deploy/kubernetes/gateway-tier/overlay/proxy.yaml")]
    [InlineData("deploy/kubernetes/sidecar/base/proxy.yaml")]
    [InlineData("deploy/kubernetes/sidecar/overlay/proxy.yaml")]
    [InlineData("tests/browser/proxy.yaml")]
    [InlineData("tests/browser/form-login.yaml")]
    [InlineData("tests/browser/oidc.yaml")]
    public void TryRead_TheRepositorysConfigurations_AreReadWithoutYamlDotNetAndTheSame(string file)
    {
        var text = File.ReadAllText(ConfigTestData.RepositoryFile(file));

        Assert.NotNull(SimpleYamlReader.TryRead(file, text));
        AssertAgrees(text);
    }

    [Theory]
    [InlineData("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\n", "b:1:z", 5, 5)]
    [InlineData("a:\n- x\n- [p, q]\n", "a:1:1", 3, 7)]
    [InlineData("# c\r\n\r\na: { k: 'v' }\r\n", "a:k", 3, 6)]
    public void TryRead_Locations_AreTheLineAndColumnAKeyWasWrittenAt(string text, string key, int line, int column)
    {
        var document = SimpleYamlReader.TryRead("proxy.yaml", text);

        Assert.NotNull(document);
        Assert.Equal(new ConfigLocation("proxy.yaml", line, column), document.Locations[key]);
        AssertAgrees(text);
    }

    /// <summary>Found by review: the simple reader took one level of nesting more than YamlDotNet's reading allows.</summary>
    [Theory]
    [InlineData(62)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    public void TryRead_NestingAroundTheLimit_AgreesWithYamlDotNet(int levels)
    {
        var block = string.Concat(Enumerable.Range(0, levels).Select(i => new string(' ', i) + "k:\n")) + new string(' ', levels) + "v: 1\n";
        var flow = "a: " + new string('[', levels - 1) + "x" + new string(']', levels - 1) + "\n";

        foreach (var text in new[] { block, flow })
        {
            var full = YamlDocumentParser.ParseWithYamlDotNet("proxy.yaml", text);
            if (full.Problems.Count > 0)
            {
                Assert.Null(SimpleYamlReader.TryRead("proxy.yaml", text));
            }

            AssertAgrees(text);
        }
    }

    private static void AssertAgrees(string text)
    {
        if (SimpleYamlReader.TryRead("proxy.yaml", text) is not { } simple)
        {
            return;
        }

        var full = YamlDocumentParser.ParseWithYamlDotNet("proxy.yaml", text);
        Assert.True(full.Problems.Count == 0, $"YamlDotNet: {string.Join("; ", full.Problems.Select(p => $"{p.Location} {p.Message}"))}\n{text}");
        Assert.Equal(Sorted(full.Document!.Data), Sorted(simple.Data));
        Assert.Equal(Sorted(full.Document.Locations), Sorted(simple.Locations));
    }

    private static List<KeyValuePair<string, T>> Sorted<T>(IReadOnlyDictionary<string, T> dictionary) =>
        dictionary.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList();

    /// <summary>A configuration-like tree written in the styles people use: indentation, comments, blank lines, CRLF.</summary>
    private static string Render(Random random, string[] keys, string[] scalars, bool unique = false)
    {
        var text = new StringBuilder();
        var step = random.Next(1, 5);
        Mapping(text, random, keys, scalars, unique, indent: 0, step, depth: 0, firstOnLine: false);
        var rendered = text.ToString();
        return random.Next(4) == 0 ? rendered.Replace("\n", "\r\n", StringComparison.Ordinal) : rendered;
    }

    private static void Mapping(StringBuilder text, Random random, string[] keys, string[] scalars, bool unique, int indent, int step, int depth, bool firstOnLine)
    {
        var names = keys.OrderBy(_ => random.Next()).Take(random.Next(1, 5)).ToList();
        if (!unique && random.Next(6) == 0)
        {
            names.Add(names[0]);
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (!(firstOnLine && i == 0))
            {
                Filler(text, random, indent);
                text.Append(' ', indent);
            }

            text.Append(names[i]).Append(':');
            var shape = depth >= 3 ? 0 : random.Next(5);
            switch (shape)
            {
                case 0 or 1:
                    text.Append(' ', random.Next(1, 3)).Append(scalars[random.Next(scalars.Length)]);
                    Trailer(text, random);
                    break;
                case 2 or 3:
                    Trailer(text, random);
                    Mapping(text, random, keys, scalars, unique, indent + step, step, depth + 1, firstOnLine: false);
                    break;
                default:
                    Trailer(text, random);
                    Sequence(text, random, keys, scalars, unique, random.Next(2) == 0 ? indent : indent + step, step, depth + 1);
                    break;
            }
        }
    }

    private static void Sequence(StringBuilder text, Random random, string[] keys, string[] scalars, bool unique, int indent, int step, int depth)
    {
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            Filler(text, random, indent);
            text.Append(' ', indent).Append('-').Append(' ', random.Next(1, 3));
            if (depth < 3 && random.Next(2) == 0)
            {
                var column = text.Length - LineStart(text);
                Mapping(text, random, keys, scalars, unique, column, step, depth + 1, firstOnLine: true);
            }
            else
            {
                text.Append(scalars[random.Next(scalars.Length)]);
                Trailer(text, random);
            }
        }
    }

    private static int LineStart(StringBuilder text)
    {
        var i = text.Length;
        while (i > 0 && text[i - 1] != '\n')
        {
            i--;
        }

        return i;
    }

    /// <summary>Blank and comment lines, at any indentation, before a line.</summary>
    private static void Filler(StringBuilder text, Random random, int indent)
    {
        switch (random.Next(8))
        {
            case 0:
                text.Append('\n');
                break;
            case 1:
                text.Append(' ', random.Next(0, indent + 3)).Append("# a comment: with - [things]\n");
                break;
            case 2:
                text.Append(' ', random.Next(0, 3)).Append('\n');
                break;
        }
    }

    /// <summary>The end of a line: maybe trailing spaces, maybe a comment.</summary>
    private static void Trailer(StringBuilder text, Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                text.Append("   ");
                break;
            case 1:
                text.Append(" # trailing: comment");
                break;
        }

        text.Append('\n');
    }

    /// <summary>Edits a person (or a bad merge) makes: a character typed anywhere, a line re-indented, dropped or doubled.</summary>
    private static string Edit(string text, Random random, int edits)
    {
        for (var i = 0; i < edits; i++)
        {
            var lines = text.Split('\n').ToList();
            var at = random.Next(lines.Count);
            switch (random.Next(5))
            {
                case 4:
                    lines.Insert(at, new string(' ', random.Next(0, 3)) + EditLines[random.Next(EditLines.Length)]);
                    break;
                case 0:
                    var column = random.Next(lines[at].Length + 1);
                    lines[at] = lines[at].Insert(column, EditCharacters[random.Next(EditCharacters.Length)].ToString());
                    break;
                case 1:
                    var spaces = lines[at].Length - lines[at].TrimStart(' ').Length;
                    lines[at] = new string(' ', random.Next(0, 3)) + lines[at][Math.Min(random.Next(0, 3), spaces)..];
                    break;
                case 2:
                    lines.RemoveAt(at);
                    break;
                default:
                    lines.Insert(at, lines[random.Next(lines.Count)]);
                    break;
            }

            text = string.Join('\n', lines);
        }

        return text;
    }
}
