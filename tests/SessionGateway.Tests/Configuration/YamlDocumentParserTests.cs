using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class YamlDocumentParserTests
{
    [Fact]
    public void Parse_NestedMappingsAndSequences_FlattenToConfigurationKeys()
    {
        const string yaml = """
            Urls: http://127.0.0.1:8080
            ReverseProxy:
              Routes:
                web:
                  ClusterId: app
                  Match:
                    Path: "/{**rest}"
                    Methods: [GET, POST]
                  Transforms:
                    - PathPrefix: /v1
                    - RequestHeader: X-Forwarded-Prefix
                      Set: /v1
            """;

        var result = YamlDocumentParser.Parse("proxy.yaml", yaml);

        Assert.Empty(result.Problems);
        var data = result.Document!.Data;
        Assert.Equal("http://127.0.0.1:8080", data["Urls"]);
        Assert.Equal("app", data["ReverseProxy:Routes:web:ClusterId"]);
        Assert.Equal("/{**rest}", data["ReverseProxy:Routes:web:Match:Path"]);
        Assert.Equal("POST", data["ReverseProxy:Routes:web:Match:Methods:1"]);
        Assert.Equal("/v1", data["ReverseProxy:Routes:web:Transforms:0:PathPrefix"]);
        Assert.Equal("/v1", data["reverseproxy:routes:WEB:transforms:1:set"]);
    }

    public enum HostileShape
    {
        AliasInsideItsOwnSequence,
        AliasInsideItsOwnMapping,
        NestedSequences200000Deep,
        NestedMappings5000Deep,
        AliasesOfAliasesExpandingToABillionKeys,
        AliasChainDeeperThanTheLimit,
        TwoAliasKeysOfTheMappingTheyAreIn,
        TwoAliasKeysBeforeTheirAnchor,
        AliasBeforeItsAnchor,
        AliasKeysBeforeTheirAnchorInASecondDocument,
    }

    private static string Text(HostileShape shape) => shape switch
    {
        HostileShape.AliasInsideItsOwnSequence => "Session:\n  Strip: &x [a, *x]\n",
        HostileShape.AliasInsideItsOwnMapping => "Session: &x\n  Headers: *x\n",
        HostileShape.NestedSequences200000Deep => "a: " + new string('[', 200_000) + new string(']', 200_000),
        HostileShape.NestedMappings5000Deep => "a: " + string.Concat(Enumerable.Repeat("{b: ", 5_000)) + "x" + new string('}', 5_000),
        HostileShape.AliasesOfAliasesExpandingToABillionKeys => "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
            + string.Concat(Enumerable.Range(1, 9).Select(i => $"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", 10))}]\n")),
        HostileShape.AliasChainDeeperThanTheLimit => "a0: &a0 x\n"
            + string.Concat(Enumerable.Range(1, 100).Select(i => $"a{i}: &a{i} [*a{i - 1}]\n")),
        HostileShape.TwoAliasKeysOfTheMappingTheyAreIn => "Session: &a {*a : 1, *a : 2}\n",
        HostileShape.TwoAliasKeysBeforeTheirAnchor => "Session: {*a : 1, *a : 2}\nOther: &a x\n",
        HostileShape.AliasBeforeItsAnchor => "Session:\n  Headers:\n    Strip: [*a]\nOther: &a x\n",
        HostileShape.AliasKeysBeforeTheirAnchorInASecondDocument => "Session: &k x\n---\na: {*k : 1, *k : 2}\nb: &k 2\n",
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>
    /// Each of these overflowed the stack (ending the process, a running gateway included on a hot reload) or would
    /// expand without bound (the two alias keys were found by YamlDocumentParserProperties: YamlDotNet compares
    /// unresolved aliases by recursing into the same comparison). Now each is a problem with a place, like any other
    /// broken file. (An alias before its anchor is refused by YAML itself; YamlDotNet resolved it.)
    /// </summary>
    [Theory]
    [InlineData(HostileShape.AliasInsideItsOwnSequence, "the alias *x refers to a node that contains it")]
    [InlineData(HostileShape.AliasInsideItsOwnMapping, "the alias *x refers to a node that contains it")]
    [InlineData(HostileShape.TwoAliasKeysOfTheMappingTheyAreIn, "the alias *a refers to a node that contains it")]
    [InlineData(HostileShape.TwoAliasKeysBeforeTheirAnchor, "the alias *a names no anchor written before it")]
    [InlineData(HostileShape.AliasBeforeItsAnchor, "the alias *a names no anchor written before it")]
    [InlineData(HostileShape.AliasKeysBeforeTheirAnchorInASecondDocument, "the alias *k names no anchor written before it")]
    [InlineData(HostileShape.NestedSequences200000Deep, "nested deeper than 64 levels")]
    [InlineData(HostileShape.NestedMappings5000Deep, "nested deeper than 64 levels")]
    [InlineData(HostileShape.AliasesOfAliasesExpandingToABillionKeys, "more than 100000 keys")]
    [InlineData(HostileShape.AliasChainDeeperThanTheLimit, "nested deeper than 64 levels (through aliases)")]
    public void Parse_HostileShape_IsAProblemNotACrash(HostileShape shape, string message)
    {
        var result = YamlDocumentParser.Parse("proxy.yaml", Text(shape));

        Assert.Null(result.Document);
        var problem = Assert.Single(result.Problems);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.True(problem.Location!.Value.Line >= 1);
    }

    [Fact]
    public void Parse_AnchorOnAnEmptyKey_IsAProblemNotAnException()
    {
        // Found by YamlDocumentParserProperties: YamlDotNet throws ArgumentException here, not a YamlException.
        var result = YamlDocumentParser.Parse("proxy.yaml", "&b \n  : , ");

        Assert.Null(result.Document);
        Assert.Contains("invalid YAML", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AliasesWithinTheLimits_StillWork()
    {
        const string yaml = """
            Session:
              Headers:
                Strip: &owned [X-Remote-User, X-Forwarded-User]
              Policies:
                admin:
                  RequireClaims: &admin { role: admin }
                root:
                  RequireClaims: *admin
            Other: *owned
            """;

        var result = YamlDocumentParser.Parse("proxy.yaml", yaml);

        Assert.Empty(result.Problems);
        Assert.Equal("admin", result.Document!.Data["Session:Policies:root:RequireClaims:role"]);
        Assert.Equal("X-Forwarded-User", result.Document.Data["Other:1"]);
    }

    [Fact]
    public void Parse_Keys_RememberOneBasedLineAndColumn()
    {
        const string yaml = "Session:\n  Headers:\n    UserId: X-Who\n";

        var document = YamlDocumentParser.Parse("/etc/gw/proxy.yaml", yaml).Document!;

        Assert.Equal(new ConfigLocation("/etc/gw/proxy.yaml", 3, 5), document.Locations["Session:Headers:UserId"]);
        Assert.Equal(new ConfigLocation("/etc/gw/proxy.yaml", 2, 3), document.Locate("Session:Headers:Missing"));
    }

    [Fact]
    public void Parse_NullEmptyAndQuotedValues_FollowConfigurationConventions()
    {
        const string yaml = """
            A: ~
            B:
            C: {}
            D: []
            E: "null"
            F: ''
            G: 42
            """;

        var data = YamlDocumentParser.Parse("p.yaml", yaml).Document!.Data;

        Assert.Null(data["A"]);
        Assert.Null(data["B"]);
        Assert.Null(data["C"]);
        Assert.Null(data["D"]);
        Assert.Equal("null", data["E"]);
        Assert.Equal("", data["F"]);
        Assert.Equal("42", data["G"]);
    }

    [Fact]
    public void Parse_DuplicateKeyDifferingOnlyInCase_IsAProblemNamingBothLines()
    {
        const string yaml = "Routes:\n  web: 1\n  Web: 2\n";

        var result = YamlDocumentParser.Parse("p.yaml", yaml);

        var problem = Assert.Single(result.Problems);
        Assert.Null(result.Document);
        Assert.Equal(3, problem.Location!.Value.Line);
        Assert.Contains("line 2", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidYaml_ReportsFileAndLine()
    {
        const string yaml = "Session:\n  Headers:\n    UserId: [unclosed\n  Other: x\n";

        var result = YamlDocumentParser.Parse("bad.yaml", yaml);

        var problem = Assert.Single(result.Problems);
        Assert.StartsWith("invalid YAML", problem.Message, StringComparison.Ordinal);
        Assert.Equal("bad.yaml", problem.Location!.Value.File);
        Assert.InRange(problem.Location.Value.Line, 3, 4);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Parse_EmptyFile_IsAnEmptyConfiguration(string yaml)
    {
        var result = YamlDocumentParser.Parse("p.yaml", yaml);

        Assert.Empty(result.Problems);
        Assert.Empty(result.Document!.Data);
    }

    [Fact]
    public void Parse_TopLevelSequence_IsAProblem()
    {
        var result = YamlDocumentParser.Parse("p.yaml", "- a\n- b\n");

        Assert.Single(result.Problems);
    }
}
