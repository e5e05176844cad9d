using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class AssertionSettingsTests
{
    private const string Routes = """
        ReverseProxy:
          Routes:
            api:
              ClusterId: app
              Metadata:
                SessionAssertion: "true"
                SessionAssertionAudience: orders
              Match:
                Path: /api/{**rest}
          Clusters:
            app:
              Destinations:
                one:
                  Address: http://127.0.0.1:5000/
        """;

    private static SessionSettings Bind(string yaml) =>
        GatewayConfigValidator.TryBind(ConfigTestData.Load(yaml).Configuration)!;

    [Fact]
    public void Unset_DefaultsToTheContract_AndTheClaimsOfTheHeaderMap()
    {
        var settings = Bind("""
            Session:
              Headers:
                Claims:
                  role: X-User-Role
                  tenant: X-Tenant
            """);

        Assert.Equal("X-Session-Assertion", settings.Assertion.Header);
        Assert.False(settings.Assertion.AllRoutes);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.Assertion.Lifetime);
        Assert.Null(settings.Assertion.Claims);
        Assert.Equal(["role", "tenant"], settings.Assertion.ClaimNames(settings.Headers));
    }

    [Fact]
    public void Set_EveryKeyBinds_AndTheConfigurationIsValid()
    {
        var yaml = """
            Session:
              Headers:
                Claims:
                  role: X-User-Role
              Assertion:
                Header: X-Upstream-Proof
                AllRoutes: true
                Lifetime: 30s
                Claims: [role, tenant]

            """ + Routes;
        var (document, configuration) = ConfigTestData.Load(yaml);

        var settings = GatewayConfigValidator.TryBind(configuration)!;

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.Equal("X-Upstream-Proof", settings.Assertion.Header);
        Assert.True(settings.Assertion.AllRoutes);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Assertion.Lifetime);
        Assert.Equal(["role", "tenant"], settings.Assertion.ClaimNames(settings.Headers));
    }

    [Fact]
    public void ClaimsEmpty_CarriesNoClaims_NotTheHeaderMapOnes()
    {
        var settings = Bind("Session:\n  Headers:\n    Claims: { role: X-User-Role }\n  Assertion:\n    Claims: []\n");

        Assert.Empty(settings.Assertion.ClaimNames(settings.Headers));
    }

    [Theory]
    [InlineData("Lifetime: 0s", "Session:Assertion:Lifetime")]
    [InlineData("Lifetime: 61s", "Session:Assertion:Lifetime")]
    [InlineData("Lifetime: 15m", "Session:Assertion:Lifetime")]
    [InlineData("Lifetime: 1500ms", "Session:Assertion:Lifetime")]
    [InlineData("Lifetime: soon", "Session:Assertion:Lifetime")]
    [InlineData("Header: X Session Assertion", "Session:Assertion:Header")]
    [InlineData("Header: \"\"", "Session:Assertion:Header")]
    [InlineData("Header: x_user_id", "Session:Assertion:Header")]
    [InlineData("Header: X-User-Role", "Session:Assertion:Header")]
    [InlineData("AllRoutes: yes", "Session:Assertion:AllRoutes")]
    [InlineData("Claims: [role, aud]", "Session:Assertion:Claims:1")]
    [InlineData("Claims: [sid]", "Session:Assertion:Claims:0")]
    [InlineData("Claims: [exp]", "Session:Assertion:Claims:0")]
    [InlineData("Claims: [antiCsrfToken]", "Session:Assertion:Claims:0")]
    [InlineData("Claims: [\"\"]", "Session:Assertion:Claims:0")]
    [InlineData("Audience: x", "Session:Assertion:Audience")]
    public void Validate_BadAssertionSetting_IsAProblemNamingTheKey(string line, string key)
    {
        var (document, configuration) = ConfigTestData.Load($"""
            Session:
              Headers:
                Claims:
                  role: X-User-Role
              Assertion:
                {line}
            """);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
    }

    [Theory]
    [InlineData("SessionAssertion: \"yes\"", "ReverseProxy:Routes:api:Metadata:SessionAssertion")]
    [InlineData("SessionAssertion: \"True\"", "ReverseProxy:Routes:api:Metadata:SessionAssertion")]
    [InlineData("SessionAssertionAudience: \"\"", "ReverseProxy:Routes:api:Metadata:SessionAssertionAudience")]
    [InlineData("SessionAssertionAudience: \" \"", "ReverseProxy:Routes:api:Metadata:SessionAssertionAudience")]
    public void Validate_BadAssertionRouteMetadata_IsAProblemNamingTheKeyAndLine(string metadata, string key)
    {
        var (document, configuration) = ConfigTestData.Load($$"""
            ReverseProxy:
              Routes:
                api:
                  ClusterId: app
                  Metadata:
                    {{metadata}}
                  Match:
                    Path: /api/{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: http://127.0.0.1:5000/
            """);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Equal(6, problem.Location?.Line);
    }

    [Fact]
    public void StartOnlyChanges_AnAssertionKeyOrTheClaimsItDefaultsTo_AreReadAtStart()
    {
        var before = Bind("Session:\n  Headers:\n    Claims: { role: X-User-Role }\n");
        var lifetime = Bind("Session:\n  Headers:\n    Claims: { role: X-User-Role }\n  Assertion:\n    Lifetime: 20s\n");
        var headerClaims = Bind("Session:\n  Headers:\n    Claims: { role: X-User-Role, tenant: X-Tenant }\n");
        var headerRenamed = Bind("Session:\n  Headers:\n    Claims: { role: X-Role }\n");

        Assert.Equal(["Session:Assertion"], before.StartOnlyChanges(lifetime));
        Assert.Contains(before.StartOnlyChanges(headerClaims), key => key.StartsWith("Session:Headers:Claims", StringComparison.Ordinal));
        Assert.Empty(before.StartOnlyChanges(headerRenamed));
    }
}
