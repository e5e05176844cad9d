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
    private static readonly string ProxyYaml = File.ReadAllText(ConfigTestData.RepositoryFile("proxy.yaml"));

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
        Gen.OneOf(Gen.String[0, 400], Gen.String[Gen.Char[ProxyYamlEdits.YamlCharacters], 0, 400], YamlTokens).Sample(
            text => ParseAndValidate(text),
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public void ParseAndValidate_EditsOfTheRealProxyYaml_NeverThrow()
    {
        ProxyYamlEdits.Of(ProxyYaml).Sample(
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
}
