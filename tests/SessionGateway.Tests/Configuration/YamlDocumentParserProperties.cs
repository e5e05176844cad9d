using System.Reflection;
using CsCheck;
using Microsoft.Extensions.Configuration;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

/// <summary>
/// Properties of the YAML loader over generated text (CsCheck): the parser never throws, it returns a document or
/// problems; whatever it accepts, the validator checks without throwing (a reload must reject, never crash); and the
/// settings the start builds its services from, when the section binds at all, hold no null where none is declared.
/// </summary>
[Trait("Category", PropertyRun.Category)]
public sealed class YamlDocumentParserProperties
{
    private const string YamlCharacters = " \n\t:-?,[]{}#&*!|>'\"%@`~=.\\/01aZ\u00e9\u2028\0";

    private static readonly string ProxyYaml = File.ReadAllText(ConfigTestData.RepositoryFile("proxy.yaml"));

    // Edits a person (or a bad merge) makes to a working file, line by line and character by character.
    private static readonly Gen<Func<List<string>, List<string>>> LineEdit = Gen.OneOf(
        Gen.Int.Select<int, Func<List<string>, List<string>>>(i => lines => Without(lines, i)),
        Gen.Int.Select<int, Func<List<string>, List<string>>>(i => lines => With(lines, i, lines.Count == 0 ? "" : lines[Index(lines, i)])),
        Gen.Select(Gen.Int, Gen.Int[-4, 4]).Select<(int, int), Func<List<string>, List<string>>>(t => lines => Reindent(lines, t.Item1, t.Item2)),
        Gen.Select(Gen.Int, Gen.Int, Gen.Char[YamlCharacters]).Select<(int, int, char), Func<List<string>, List<string>>>(
            t => lines => InsertCharacter(lines, t.Item1, t.Item2, t.Item3)),
        Gen.Select(Gen.Int, Gen.String[Gen.Char[YamlCharacters], 0, 12]).Select<(int, string), Func<List<string>, List<string>>>(
            t => lines => With(lines, t.Item1, t.Item2)),
        Gen.Select(Gen.Int, Gen.Int).Select<(int, int), Func<List<string>, List<string>>>(t => lines => Swap(lines, t.Item1, t.Item2)));

    // YAML made of its own tokens (anchors, aliases, flow and block collections, tags, keys), so generated text
    // reaches the structures and not only the scanner's error paths.
    private static readonly Gen<string> YamlTokens = Gen.OneOf(
            Gen.OneOf(
                "&a ", "&b ", "*a", "*b", "[", "]", "{", "}", ", ", ": ", "\n", "\n  ", "\n    ", "- ", "? ", "key", "Session",
                "Headers", "x", "\"q\"", "'s'", "!!str ", "!!map ", "!!seq ", "|\n  ", ">\n  ", "# c\n", "---\n", "...\n", "~", "<<: ")
            .Array[0, 40]
            .Select(parts => string.Concat(parts)));

    [Fact]
    public void Parse_AnyText_NeverThrowsAndReturnsADocumentOrProblems()
    {
        Gen.OneOf(Gen.String[0, 400], Gen.String[Gen.Char[YamlCharacters], 0, 400], YamlTokens).Sample(
            text => ParseAndValidate(text),
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public void ParseAndValidate_EditsOfTheRealProxyYaml_NeverThrow()
    {
        var lines = ProxyYaml.Split('\n').ToList();
        var editedFiles = LineEdit.Array[1, 6].Select(edits =>
        {
            var edited = lines;
            foreach (var edit in edits)
            {
                edited = edit(edited);
            }

            return string.Join('\n', edited);
        });

        editedFiles.Sample(
            ParseAndValidate,
            iter: PropertyRun.Iter(1_000),
            threads: PropertyRun.Threads);
    }

    private static void ParseAndValidate(string text)
    {
        var result = YamlDocumentParser.Parse("proxy.yaml", text);

        Assert.True(result.Document is not null ^ result.Problems.Count > 0);
        if (result.Document is { } document)
        {
            var configuration = new ConfigurationBuilder().Add(new ProxyYamlCandidateSource(document)).Build();
            _ = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);
            if (GatewayConfigValidator.TryBind(configuration, mayFail: true) is { } settings)
            {
                AssertNoUndeclaredNull(settings, SessionSettings.SectionName);
            }
        }
    }

    private static readonly NullabilityInfoContext Nullability = new();

    // Walks the bound settings as the services read them: a null text, list item or dictionary value where the type
    // declares none is what the start's services would fail on with a stack trace.
    private static void AssertNoUndeclaredNull(object settings, string path)
    {
        foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.SetMethod is null)
            {
                continue;
            }

            var value = property.GetValue(settings);
            var key = path + ":" + property.Name;
            NullabilityInfo nullability;
            lock (Nullability)
            {
                nullability = Nullability.Create(property);
            }

            if (value is null)
            {
                Assert.True(nullability.ReadState != NullabilityState.NotNull, key + " is null");
                continue;
            }

            if (value is string || value.GetType().IsValueType)
            {
                continue;
            }

            if (value is System.Collections.IDictionary dictionary)
            {
                foreach (System.Collections.DictionaryEntry entry in dictionary)
                {
                    AssertItem(entry.Value, nullability.GenericTypeArguments[^1], $"{key}:{entry.Key}");
                }
            }
            else if (value is System.Collections.IEnumerable items)
            {
                var i = 0;
                foreach (var item in items)
                {
                    AssertItem(item, nullability.ElementType ?? nullability.GenericTypeArguments[0], $"{key}:{i++}");
                }
            }
            else
            {
                AssertNoUndeclaredNull(value, key);
            }
        }
    }

    private static void AssertItem(object? item, NullabilityInfo nullability, string key)
    {
        if (item is null)
        {
            Assert.True(nullability.ReadState != NullabilityState.NotNull, key + " is null");
        }
        else if (item is not string && !item.GetType().IsValueType)
        {
            AssertNoUndeclaredNull(item, key);
        }
    }

    private static int Index(List<string> lines, int i) => (int)((uint)i % (uint)Math.Max(1, lines.Count));

    private static List<string> Without(List<string> lines, int i)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            copy.RemoveAt(Index(copy, i));
        }

        return copy;
    }

    private static List<string> With(List<string> lines, int i, string line)
    {
        var copy = lines.ToList();
        copy.Insert(Index(copy, i), line);
        return copy;
    }

    private static List<string> Reindent(List<string> lines, int i, int by)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            var at = Index(copy, i);
            copy[at] = by >= 0 ? new string(' ', by) + copy[at] : copy[at][Math.Min(-by, copy[at].Length - copy[at].TrimStart(' ').Length)..];
        }

        return copy;
    }

    private static List<string> InsertCharacter(List<string> lines, int i, int column, char character)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            var at = Index(copy, i);
            copy[at] = copy[at].Insert((int)((uint)column % (uint)(copy[at].Length + 1)), character.ToString());
        }

        return copy;
    }

    private static List<string> Swap(List<string> lines, int i, int j)
    {
        var copy = lines.ToList();
        if (copy.Count > 1)
        {
            var (a, b) = (Index(copy, i), Index(copy, j));
            (copy[a], copy[b]) = (copy[b], copy[a]);
        }

        return copy;
    }
}
