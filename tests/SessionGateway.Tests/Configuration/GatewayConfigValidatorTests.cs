using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class GatewayConfigValidatorTests
{
    [Fact]
    public void Validate_CommittedProxyYaml_HasNoProblems()
    {
        var path = ConfigTestData.RepositoryFile("proxy.yaml");
        var (document, configuration) = ConfigTestData.Load(File.ReadAllText(path));

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void Validate_ForwardAuthExample_HasNoProblems_AndTurnsForwardAuthOn()
    {
        // deploy/proxy.forward-auth.yaml: the configuration the deploy/ proxy files are written for.
        var path = ConfigTestData.RepositoryFile(Path.Combine("deploy", "proxy.forward-auth.yaml"));
        var (document, configuration) = ConfigTestData.Load(File.ReadAllText(path));

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.True(GatewayConfigValidator.TryBind(configuration)!.ForwardAuth.Enabled);
    }

    [Fact]
    public void Validate_SeveralMistakes_ReportsEveryOneWithItsLine()
    {
        var (document, configuration) = ConfigTestData.Load("""
            Urls: http://127.0.0.1:8080
            Sesion:
              Headers: {}
            Session:
              Headers:
                UsrId: X-Who
            ReverseProxy:
              Routes:
                web:
                  ClusterId: missing
                  Match:
                    Path: /{**rest}
                api:
                  ClusterId: app
                  Macth:
                    Path: /api
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: not a url
            """);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        Assert.Contains(problems, p => p.Key == "Sesion" && p.Location!.Value.Line == 2 && p.Message.Contains("did you mean 'Session'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "Session:Headers:UsrId" && p.Location!.Value.Line == 6 && p.Message.Contains("did you mean 'UserId'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "ReverseProxy:Routes:web:ClusterId" && p.Location!.Value.Line == 10 && p.Message.Contains("'missing'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "ReverseProxy:Routes:api:Macth" && p.Location!.Value.Line == 15);
        Assert.Contains(problems, p => p.Key == "ReverseProxy:Clusters:app:Destinations:one:Address" && p.Location!.Value.Line == 21);
        Assert.Equal(problems.OrderBy(p => p.Location!.Value.Line).ToList(), problems);
    }

    [Fact]
    public void Validate_AValueThatDoesNotConvert_TheChecksOfTheOtherKeysStillRun()
    {
        // A duration that does not convert stops the bind of the Session section; the management port clashing with
        // the traffic port and the bad webhook event are found by checks that read the bound settings.
        var (document, configuration) = ConfigTestData.Load("""
            Urls: http://127.0.0.1:8080
            Session:
              AccessTokenLifetime: banana
              Management:
                Urls: http://0.0.0.0:8080
              Webhooks:
                Url: http://127.0.0.1:9/hooks
                Secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
                Events: [session.stolen]
            """);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        Assert.Contains(problems, p => p.Key == "Session:AccessTokenLifetime" && p.Location!.Value.Line == 3);
        Assert.Contains(problems, p => p.Key == "Session:Management:Urls" && p.Location!.Value.Line == 5 && p.Message.Contains("also a traffic port", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key.StartsWith("Session:Webhooks:Events", StringComparison.Ordinal) && p.Message.Contains("session.stolen", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Message.Contains("AccessTokenLifetime must", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("VerificationCacheMegabytes: 0", "Session:VerificationCacheMegabytes")]
    [InlineData("VerificationCacheMegabytes: lots", "Session:VerificationCacheMegabytes")]
    [InlineData("VerificationCacheSize: 0", "Session:VerificationCacheSize")]
    public void Validate_BadVerificationCacheBound_NamesTheKey(string line, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  " + line + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
    }

    [Theory]
    [InlineData("FailureLocation: \"[a-\"", "Session:Login:Form:FailureLocation", "not a .NET regular expression")]
    [InlineData("FailureLocation: \"(?<x\"", "Session:Login:Form:FailureLocation", "not a .NET regular expression")]
    [InlineData("SuccessStatus: [302, 304]", "Session:Login:Form:SuccessStatus:1", "304 cannot mean a successful login")]
    [InlineData("SuccessStatus: [101]", "Session:Login:Form:SuccessStatus:0", "101 cannot mean")]
    [InlineData("SuccessStatus: [401]", "Session:Login:Form:SuccessStatus:0", "401 cannot mean")]
    [InlineData("SuccessStatus: [found]", "Session:Login:Form:SuccessStatus:0", "")]
    [InlineData("UserField: \" \"", "Session:Login:Form:UserField", "form field")]
    [InlineData("UserFeild: user", "Session:Login:Form:UserFeild", "did you mean 'UserField'")]
    public void Validate_BadFormLogin_NamesTheKey(string line, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Login:\n    Form:\n      " + line + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Equal(4, problem.Location!.Value.Line);
    }

    [Fact]
    public void Bind_FormLoginDefaults_AreTheDocumentedOnes()
    {
        var (_, configuration) = ConfigTestData.Load("Session:\n  Login:\n    Form:\n      SuccessStatus: [200]\n");

        var defaults = new SessionSettings().Login.Form;
        var bound = GatewayConfigValidator.TryBind(configuration)!.Login.Form;

        Assert.Equal(("username", "(?i)(error|fail|login)"), (defaults.UserField, defaults.FailureLocation));
        Assert.Equal([302, 303], defaults.EffectiveSuccessStatus);
        Assert.Equal([200], bound.EffectiveSuccessStatus); // replaces the default list, not added to it
    }

    [Theory]
    [InlineData("Session:\n  ForwardAuth:\n    Path: api/verify\n", "Session:ForwardAuth:Path", "literal path")]
    [InlineData("Session:\n  ForwardAuth:\n    Path: /\n", "Session:ForwardAuth:Path", "other than '/'")]
    [InlineData("Session:\n  ForwardAuth:\n    Path: /.well-known\n", "Session:ForwardAuth:Path", "take over Session:JwksPath")]
    [InlineData("Session:\n  ForwardAuth:\n    Path: /api/verify\n    TrustedProxies: [10.0.0.0/8, 10.0.0.0/33]\n", "Session:ForwardAuth:TrustedProxies:1", "'10.0.0.0/33'")]
    [InlineData("Session:\n  ForwardAuth:\n    Path: /api/verify\n    TrustedProxies: [ingress]\n", "Session:ForwardAuth:TrustedProxies:0", "not an IP address")]
    [InlineData("ForwardedHeaders_Enabled: true\nSession:\n  ForwardAuth:\n    Path: /api/verify\n", "ForwardedHeaders_Enabled", "X-Forwarded-For itself")]
    public void Validate_BadForwardAuth_NamesTheKey(string yaml, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load(yaml);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n", "Session:Oidc:Providers:corp:Authority")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        ClientId: gw\n", "Session:Oidc:Providers:corp:Authority")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: ftp://login.example.com\n        ClientId: gw\n", "Session:Oidc:Providers:corp:Authority")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        Scopes: [profile]\n", "Session:Oidc:Providers:corp:Scopes")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        Claims: { groups: sub }\n", "Session:Oidc:Providers:corp:Claims:groups")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        ClientSecret: a\n        ClientSecretFile: b\n", "Session:Oidc:Providers:corp:ClientSecretFile")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        ClientSecretFile: no-such-file\n", "Session:Oidc:Providers:corp:ClientSecretFile")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      c/rp:\n        Authority: https://login.example.com\n        ClientId: gw\n", "Session:Oidc:Providers:c/rp")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        Claims: { iss: idp }\n", "Session:Oidc:Providers:corp:Claims:iss")]
    [InlineData("Session:\n  Oidc:\n    Providers:\n      corp:\n        Authority: https://login.example.com\n        ClientId: gw\n        UserIdPrefix: \"a\\tb\"\n", "Session:Oidc:Providers:corp:UserIdPrefix")]
    public void Validate_BadOidcProvider_NamesTheKey(string yaml, string key)
    {
        var (document, configuration) = ConfigTestData.Load(yaml);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        Assert.Contains(problems, p => p.Key == key);
    }

    /// <summary>Found by YamlDocumentParserProperties: the forward-auth check threw on an own path without a leading '/'.</summary>
    [Fact]
    public void Validate_ForwardAuthWithARelativeRefreshPath_ReportsThePath_DoesNotThrow()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  RefreshPath: a/api/refresh\n  ForwardAuth:\n    Path: /api/verify\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("Session:RefreshPath", problem.Key);
    }

    /// <summary>
    /// The check skips the defaults (parsing addresses and compiling a regular expression cost every start a few
    /// milliseconds): they must be valid by construction, and what is written is still checked.
    /// </summary>
    [Fact]
    public void Defaults_TheCheckSkips_AreValid()
    {
        Assert.True(ForwardAuth.TrustedProxies.TryParse(ForwardAuthSettings.DefaultTrustedProxies, out var proxies, out _));
        Assert.True(proxies.Contains(System.Net.IPAddress.Loopback));
        Assert.True(proxies.Contains(System.Net.IPAddress.IPv6Loopback));

        var failure = new System.Text.RegularExpressions.Regex(FormLoginSettings.DefaultFailureLocation, FormLoginSettings.FailureLocationOptions, FormLoginSettings.MatchTimeout);
        Assert.Matches(failure, "/login?Error=1");
        Assert.DoesNotMatch(failure, "/home");
    }

    [Fact]
    public void Validate_BadTrustedProxyWithForwardAuthOff_IsStillReported()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  ForwardAuth:\n    TrustedProxies: [ingress]\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("Session:ForwardAuth:TrustedProxies:0", problem.Key);
    }

    [Fact]
    public void Validate_ForwardAuthWithTrustedProxies_HasNoProblems()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  ForwardAuth:\n    Path: /api/verify\n    TrustedProxies: [10.0.0.0/8, fd00::/8, 192.168.1.10]\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    /// <summary>
    /// A value that would bind as something other than what was written. Found by YamlDocumentParserProperties: a text
    /// written empty, or a list or mapping where one text belongs (a line of proxy.yaml moved under Headers:Claims),
    /// bound a null into a string and the validator threw. Found by review: the reflection binder read a number,
    /// switch or duration written empty as 0 or false, the source-generated one keeps the default (rate limits on, a
    /// 30 s grace period): neither is what was written.
    /// </summary>
    [Theory]
    [InlineData("Headers:\n    ReservedPrefix:", "Session:Headers:ReservedPrefix", "needs a value (written empty")]
    [InlineData("Headers:\n    ReservedPrefix: # off", "Session:Headers:ReservedPrefix", "needs a value (written empty")]
    [InlineData("Headers:\n    Strip: [~]", "Session:Headers:Strip:0", "needs a value (written empty")]
    [InlineData("Headers:\n    Claims: { role: }", "Session:Headers:Claims:role", "needs a value (written empty")]
    [InlineData("AntiCsrf:", "Session:AntiCsrf", "needs a value (written empty")]
    [InlineData("RefreshPath: null", "Session:RefreshPath", "needs a value (written empty")]
    [InlineData("Headers:\n    Claims:\n      Methods: [POST]", "Session:Headers:Claims:Methods", "expects a single value, not a section")]
    [InlineData("Headers:\n    Claims:\n      role: { a: b }", "Session:Headers:Claims:role", "expects a single value, not a section")]
    [InlineData("Headers:\n    Strip: [[X-A]]", "Session:Headers:Strip:0", "expects a single value, not a section")]
    [InlineData("Headers:\n    UserId: [X-User-Id]", "Session:Headers:UserId", "expects a single value, not a section")]
    [InlineData("Policies:\n    admin:\n      RequireClaims:\n        role: [admin]", "Session:Policies:admin:RequireClaims:role", "expects a single value, not a section")]
    [InlineData("Paths:\n    MergeSlashes:", "Session:Paths:MergeSlashes", "needs a value: write true or false")]
    [InlineData("RateLimits:\n    Login:\n      Enabled: ~", "Session:RateLimits:Login:Enabled", "needs a value: write true or false")]
    [InlineData("RefreshGracePeriod:", "Session:RefreshGracePeriod", "needs a value: write a duration")]
    [InlineData("ExpiredStatusCode:", "Session:ExpiredStatusCode", "needs a value: write a whole number")]
    [InlineData("Cookies:\n    SameSite:", "Session:Cookies:SameSite", "needs a value: write one of:")]
    public void Validate_ValueThatWouldNotBindAsWritten_IsOneProblemNamingTheKey(string lines, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  " + lines + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IdleTimeout:")]
    [InlineData("AbsoluteLifetime: ~")]
    public void Validate_EmptyValueForADurationThatCanBeOff_MeansOff(string line)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  " + line + "\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void Validate_EmptyValueForAnOptionalSetting_MeansUnset()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Cookies:\n    Domain:\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void Validate_VerificationCacheMegabytes_ReachesTheEngine()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  VerificationCacheMegabytes: 8\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.Equal(8, GatewayConfigValidator.TryBind(configuration)!.ToEngineOptions().VerificationCacheMegabytes);
    }

    [Fact]
    public void Validate_ProblemText_NamesFileLineAndKey()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Headerz: {}\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.StartsWith("proxy.yaml:2:3: Session:Headerz: unknown key 'Headerz'", problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UserId: \"X User\"", "Session:Headers:UserId")]
    [InlineData("SessionHandle: \"\"", "Session:Headers:SessionHandle")]
    [InlineData("Claims: { role: \"X:Role\" }", "Session:Headers:Claims:role")]
    [InlineData("Strip: [\"bad(name)\"]", "Session:Headers:Strip:0")]
    [InlineData("UserId: { nested: x }", "Session:Headers:UserId")]
    public void Validate_BadHeaderSetting_IsAProblemOnThatKey(string line, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Headers:\n    " + line + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Equal(3, problem.Location!.Value.Line);
    }

    [Fact]
    public void Validate_BadValueFromOutsideTheFile_IsReportedWithoutALine()
    {
        var (document, configuration) = ConfigTestData.Load(
            "Session:\n  Headers: {}\n",
            new Dictionary<string, string?> { ["Session:Headers:UserId"] = "no spaces allowed" });

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("Session:Headers:UserId", problem.Key);
        Assert.Null(problem.Location); // not the file's line: the value was not written there
        Assert.Contains("environment variable or the command line", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RouteWithoutCluster_IsAProblem()
    {
        var (document, configuration) = ConfigTestData.Load("""
            ReverseProxy:
              Routes:
                web:
                  Match:
                    Path: /{**rest}
            """);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("ReverseProxy:Routes:web", problem.Key);
        Assert.Equal(3, problem.Location!.Value.Line);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("disable")]
    [InlineData("Disable")]
    public void Validate_RouteWithItsOwnCorsPolicy_IsRefused(string policy)
    {
        // CORS runs before routing for every path (Session:Cors), so a route's own policy would never apply: its
        // "disable" would still get credentialed CORS answers for the allowed origins.
        var (document, configuration) = ConfigTestData.Load($$"""
            ReverseProxy:
              Routes:
                web:
                  ClusterId: app
                  CorsPolicy: {{policy}}
                  Match:
                    Path: /{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: http://127.0.0.1:5000/
            """);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("ReverseProxy:Routes:web:CorsPolicy", problem.Key);
        Assert.Equal(5, problem.Location!.Value.Line);
        Assert.Contains("Session:Cors", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_YarpConversionError_IsReported()
    {
        var (document, configuration) = ConfigTestData.Load("""
            ReverseProxy:
              Routes:
                web:
                  ClusterId: app
                  Order: first
                  Match:
                    Path: /{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: http://127.0.0.1:5000/
            """);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        Assert.Contains(problems, p => p.Key.StartsWith("ReverseProxy", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Provider: postgres", "Session:Store:ConnectionString", "is required when Session:Store:Provider is postgres")]
    [InlineData("Provider: postgres\n    ConnectionString: \"Hots=db\"", "Session:Store:ConnectionString", "is not a valid PostgreSQL connection string")]
    [InlineData("Provider: postgres\n    ConnectionString: \"Database=sessions\"", "Session:Store:ConnectionString", "names no Host")]
    [InlineData("Provider: mysql", "Session:Store:Provider", "is not one of: Sqlite, Postgres")]
    [InlineData("Provider: postgres\n    ConnectionString: \"Host=db;Minimum Pool Size=10;Maximum Pool Size=5\"", "Session:Store:ConnectionString", "settings that do not go together")]
    [InlineData("ConnectionString: \"Host=db;Database=sessions\"", "Session:Store:ConnectionString", "is not a valid SQLite connection string")]
    public void Validate_StoreProviderMistakes_NameTheKey(string store, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Store:\n    " + store + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EscapedSlashes: decode", "Session:Paths:EscapedSlashes", "one of: Reject, Unescape, Keep")]
    [InlineData("PathParameters: strip", "Session:Paths:PathParameters", "one of: Reject, Keep")]
    [InlineData("Backslashes: slash", "Session:Paths:Backslashes", "one of: Reject, Keep")]
    [InlineData("MergeSlashes: yes", "Session:Paths:MergeSlashes", "true or false")]
    [InlineData("NormalizePath: true", "Session:Paths:NormalizePath", "unknown key")]
    public void Validate_PathSettingMistakes_NameTheKey(string line, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Paths:\n    " + line + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PathSettingsInAnyCase_HaveNoProblems()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Paths:\n    MergeSlashes: false\n    EscapedSlashes: unescape\n    PathParameters: KEEP\n    Backslashes: reject\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        var paths = GatewayConfigValidator.TryBind(configuration)!.Paths;
        Assert.Equal(new PathSettings { MergeSlashes = false, EscapedSlashes = EscapedSlashAction.Unescape, PathParameters = AmbiguousPathAction.Keep }, paths);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("Postgres")]
    public void Validate_PostgresWithAConnectionString_HasNoProblems(string provider)
    {
        var (document, configuration) = ConfigTestData.Load(
            $"Session:\n  Store:\n    Provider: {provider}\n    ConnectionString: \"Host=127.0.0.1;Database=sessions;Username=gw;Password=pw\"\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void Validate_PostgresConnectionStringFromTheEnvironment_IsEnough()
    {
        // A Kubernetes Secret supplies Session__Store__ConnectionString; the file only names the provider.
        var (document, configuration) = ConfigTestData.Load(
            "Session:\n  Store:\n    Provider: postgres\n",
            new Dictionary<string, string?> { ["Session:Store:ConnectionString"] = "Host=db;Database=sessions;Username=gw;Password=pw" });

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.Equal("Host=db;Database=sessions;Username=gw;Password=pw", GatewayConfigValidator.TryBind(configuration)!.Store.ConnectionString);
    }

    private const string ValidKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    [Theory]
    [InlineData("Key: not-a-key-at-all", "Session:KeyEncryption:Key")]
    [InlineData("Key: c2hvcnQ=", "Session:KeyEncryption:Key")]
    [InlineData("KeyFile: /nonexistent/kek", "Session:KeyEncryption:KeyFile")]
    [InlineData("PreviousKeys: [\"c2hvcnQ=\"]\n    Key: " + ValidKey, "Session:KeyEncryption:PreviousKeys:0")]
    [InlineData("PreviousKeys: [\"" + ValidKey + "\"]", "Session:KeyEncryption:PreviousKeys")]
    [InlineData("KeyFile: /nonexistent/kek\n    Key: " + ValidKey, "Session:KeyEncryption:Key")]
    public void Validate_UnusableKeyEncryptionKey_IsAProblemOnThatKey_WithoutTheValue(string lines, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  KeyEncryption:\n    " + lines + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.DoesNotContain("c2hvcnQ", problem.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ValidKey, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeyFileWithTheKeyAndAPreviousOne_HasNoProblems_AndABadLineIsNamedWithoutItsValue()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "\n" + ValidKey + "\n\n" + ValidKey.Replace('A', 'B') + "\n");
            var (document, configuration) = ConfigTestData.Load($"Session:\n  KeyEncryption:\n    KeyFile: {file}\n");
            Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

            File.WriteAllText(file, ValidKey + "\nsecret-looking-garbage\n");
            var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
            Assert.Equal("Session:KeyEncryption:KeyFile", problem.Key);
            Assert.Contains("line 2", problem.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("garbage", problem.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void SessionSettings_ToString_DoesNotShowTheKeyEncryptionKey()
    {
        var settings = new SessionSettings { KeyEncryption = new KeyEncryptionSettings { Key = ValidKey, PreviousKeys = [ValidKey] } };

        Assert.DoesNotContain(ValidKey, settings.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IdleTimeout: 10m", "Session:IdleTimeout")] // not longer than the access token's 15 min
    [InlineData("IdleTimeout: 31d", "Session:IdleTimeout")] // longer than the refresh token's 30 days
    [InlineData("AbsoluteLifetime: 15m", "Session:AbsoluteLifetime")]
    public void Validate_SessionLimitThatCannotWork_IsAProblemOnThatKey(string line, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  " + line + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Equal(2, problem.Location!.Value.Line);
    }

    /// <summary>
    /// Found by a campaign of extreme settings: each was accepted, then stopped the host as it started (a timer longer
    /// than the runtime takes, or under 1 ms), failed every login, refresh or sweep (a date past year 9999 or before
    /// year 1), threw on SIGTERM (skipping the drain), or was a proxy's own status. The limit moves with the date for
    /// the lifetimes, so the test values are far past it.
    /// </summary>
    [Theory]
    [InlineData("Session:\n  RefreshTokenLifetime: 10675199d", "Session:RefreshTokenLifetime", "longer than 36500 days")]
    [InlineData("Session:\n  AbsoluteLifetime: 3000000d", "Session:AbsoluteLifetime", "longer than 36500 days")]
    [InlineData("Session:\n  AuditRetention: 1000000d", "Session:AuditRetention", "longer than 36500 days")]
    [InlineData("Session:\n  SigningKeyRotation: 10675199.02:48:05", "Session:SigningKeyRotation", "longer than 36500 days")]
    [InlineData("Session:\n  RateLimits:\n    Refresh:\n      Window: 10675199.02:48:05", "Session:RateLimits:Refresh:Window", "longer than 36500 days")]
    [InlineData("Session:\n  Store:\n    SweepInterval: 50d", "Session:Store:SweepInterval", "between 1 second and 24 days")]
    [InlineData("Session:\n  Store:\n    SweepInterval: 00:00:00.0000001", "Session:Store:SweepInterval", "between 1 second and 24 days")]
    [InlineData("Session:\n  Store:\n    BusyTimeout: 25d", "Session:Store:BusyTimeout", "between 0 and 24 days")]
    [InlineData("Session:\n  KeyRefreshInterval: 00:00:00.0000001", "Session:KeyRefreshInterval", "at least 1 second, at most 24 days")]
    [InlineData("Session:\n  SigningKeyRotation: 100d\n  KeyRefreshInterval: 50d", "Session:KeyRefreshInterval", "at least 1 second, at most 24 days")]
    [InlineData("Session:\n  ExpiredStatusCode: 407", "Session:ExpiredStatusCode", "other than 403, 404, 405 and 407")]
    [InlineData("ReverseProxy:\n  Routes:\n    r:\n      ClusterId: c\n      Timeout: 00:00:00.0005\n      Match:\n        Path: /x\n  Clusters:\n    c:\n      Destinations:\n        d:\n          Address: http://127.0.0.1:1/", "ReverseProxy:Routes:r:Timeout", "outside 1 second to 24 days")]
    [InlineData("ShutdownTimeoutSeconds: 2147483647", "ShutdownTimeoutSeconds", "from 0 to 86400")]
    [InlineData("ShutdownTimeoutSeconds: 30s", "ShutdownTimeoutSeconds", "from 0 to 86400")]
    [InlineData("ShutdownTimeoutSeconds: -5", "ShutdownTimeoutSeconds", "from 0 to 86400")]
    public void Validate_ValueThatWouldBreakAtRunTime_IsAProblemOnThatKey(string yaml, string key, string message)
    {
        var (document, configuration) = ConfigTestData.Load(yaml + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    /// <summary>Found by review: TimeSpan.MinValue has no magnitude to take (Duration() throws), and the start threw.</summary>
    [Fact]
    public void Validate_TheMostNegativeDuration_IsAProblemNotAnException()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  RefreshGracePeriod: -10675199.02:48:05.4775808\n");

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        Assert.Contains(problems, p => p.Key == "Session:RefreshGracePeriod" && p.Message.Contains("longer than 36500 days", StringComparison.Ordinal));
        // The bind the start makes first (before the report is printed) must not throw either.
        var exception = Record.Exception(() => GatewayConfigValidator.TryBind(configuration, mayFail: true));
        Assert.Null(exception);
    }

    [Fact]
    public void Validate_SessionLimitsThatWork_HaveNoProblems()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  IdleTimeout: 2h\n  AbsoluteLifetime: 12h\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        var engine = GatewayConfigValidator.TryBind(configuration)!.ToEngineOptions();
        Assert.Equal((TimeSpan.FromHours(2), TimeSpan.FromHours(12)), (engine.IdleTimeout, engine.AbsoluteLifetime));
    }

    [Theory]
    [InlineData("Refresh:\n      PermitLimit: 0", "Session:RateLimits:Refresh:PermitLimit")]
    [InlineData("Login:\n      Window: 500ms", "Session:RateLimits:Login:Window")]
    [InlineData("Login:\n      Permits: 5", "Session:RateLimits:Login:Permits")]
    public void Validate_BadRateLimit_IsAProblemOnThatKey(string lines, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  RateLimits:\n    " + lines + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
    }

    [Fact]
    public void Bind_RateLimits_DefaultsOnWithGenerousNumbers_AndAPartialSectionKeepsTheOtherDefaults()
    {
        var defaults = new SessionSettings().RateLimits;
        var (_, configuration) = ConfigTestData.Load("Session:\n  RateLimits:\n    Login:\n      Window: 30s\n");

        var bound = GatewayConfigValidator.TryBind(configuration)!.RateLimits;

        Assert.Equal((true, 60, TimeSpan.FromMinutes(1)), (defaults.Refresh.Enabled, defaults.Refresh.PermitLimit, defaults.Refresh.Window));
        Assert.Equal((true, 20, TimeSpan.FromMinutes(1)), (defaults.Login.Enabled, defaults.Login.PermitLimit, defaults.Login.Window));
        Assert.Equal((true, 20, TimeSpan.FromSeconds(30)), (bound.Login.Enabled, bound.Login.PermitLimit, bound.Login.Window));
        Assert.Equal(defaults.Refresh, bound.Refresh);
    }

    [Fact]
    public void Validate_MalformedPostgresConnectionString_NeverQuotesAPieceOfIt()
    {
        // An unquoted ';' in a password makes the rest of it read as a keyword, which a parser error would name.
        var (document, configuration) = ConfigTestData.Load(
            "Session:\n  Store:\n    Provider: postgres\n    ConnectionString: \"Host=db;Password=Tr0ub4dor;horse=battery\"\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Contains("is not a valid PostgreSQL connection string", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("horse", problem.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("battery", problem.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
