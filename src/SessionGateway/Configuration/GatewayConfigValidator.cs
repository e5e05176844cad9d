using System.Globalization;
using SessionGateway.Management;
using SessionGateway.SignIn;
using SessionGateway.Storage;
using SessionGateway.Tokens;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Configuration;

/// <summary>
/// Every check the configuration must pass before it is used, at start and on each reload. It collects every
/// problem (with the key, and file and line when the key was written in proxy.yaml) rather than stopping at
/// the first, so one run of the gateway tells the whole story.
/// </summary>
internal static class GatewayConfigValidator
{
    // Keys ASP.NET Core itself reads from configuration; anything else at the top of proxy.yaml is a typo.
    private static readonly string[] TopLevelKeys =
    [
        "Urls", "Logging", "Kestrel", "AllowedHosts", "ReverseProxy", SessionSettings.SectionName,
        "http_ports", "https_ports", "https_port", "DetailedErrors", "ShutdownTimeoutSeconds", "HostFilteringOptions",
        "ForwardedHeaders", "ForwardedHeaders_Enabled",
    ];

    // The console logger's built-in formatters (Microsoft.Extensions.Logging.Console.ConsoleFormatterNames).
    private static readonly string[] ConsoleFormatters = ["json", "simple", "systemd"];

    // settingsBinder: at start, the binder the application's options read, so that the section is not bound again.
    // proxyConfig: at start, the application's own reader of the ReverseProxy section (see YarpConfigReader).
    public static IReadOnlyList<ConfigProblem> Validate(
        IConfiguration configuration, YamlDocument document, IConfigValidator? yarpValidator, SessionSettingsBinder? settingsBinder = null, IProxyConfigProvider? proxyConfig = null)
    {
        var problems = new List<ConfigProblem>();
        CheckTopLevel(document, problems);

        CheckHostSettings(configuration, problems);
        CheckSessionSection(configuration, document, settingsBinder, problems);

        ConfigSchema.Check(configuration.GetSection(ReverseProxySchema.SectionName), typeof(ReverseProxySchema), checkValues: false, problems);
        var (proxy, readProblem) = YarpConfigReader.Read(configuration, proxyConfig);
        if (readProblem is not null)
        {
            problems.Add(readProblem);
        }
        else if (proxy is not null)
        {
            CheckProxy(proxy, yarpValidator, problems);
        }

        return problems
            .Select(p => Overridden(p.Key, configuration, document)
                ? p with { Message = p.Message + " (the value comes from an environment variable or the command line, not from the file)" }
                : p.WithLocation(document.Locate(p.Key)))
            .OrderBy(p => p.Location?.Line ?? int.MaxValue)
            .ToList();
    }

    /// <summary>
    /// Whether the top-level keys and the whole <c>Session</c> section pass their checks: what the session store and
    /// keys are opened with. At start this lets the engine's initialisation begin while YARP's part is still being
    /// validated; <see cref="Validate"/> still runs every check (these included) before the gateway may listen.
    /// </summary>
    public static bool SessionSectionIsValid(IConfiguration configuration, YamlDocument document, SessionSettingsBinder settingsBinder)
    {
        var problems = new List<ConfigProblem>();
        // A misspelt top-level key could be a misspelt "Session": the store would then be opened with the defaults.
        CheckTopLevel(document, problems);
        CheckSessionSection(configuration, document, settingsBinder, problems);
        return problems.Count == 0;
    }

    private static void CheckSessionSection(IConfiguration configuration, YamlDocument document, SessionSettingsBinder? settingsBinder, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        // A text setting written empty, or written as a list or mapping, binds as null; the checks below (and the
        // gateway) assume none is, so they wait until it is written as one value.
        var complete = ConfigSchema.Check(configuration.GetSection(SessionSettings.SectionName), typeof(SessionSettings), checkValues: true, problems);
        var mayFail = problems.Count > before;
        if (!complete)
        {
            return;
        }

        // The shape was checked just above: the bind need not check it again.
        if ((settingsBinder is null ? TryBind(configuration, mayFail, shapeChecked: true) : settingsBinder.TryGet(mayFail)) is { } settings)
        {
            CheckBound(settings, configuration, document, problems);
            return;
        }

        // A value that does not convert stops the bind, and with it every check below. Bind once more without the
        // keys already reported, so that one run lists every problem (an operator fixing them one run at a time would
        // otherwise meet them one by one); the masked keys fall back to their defaults, which only the checks of other
        // keys read.
        var reported = problems.Skip(before).Select(problem => problem.Key).ToList();
        var masked = new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.AsEnumerable().Where(pair => !reported.Any(key =>
                pair.Key.Equals(key, StringComparison.OrdinalIgnoreCase) ||
                pair.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase))))
            .Build();
        if (TryBind(masked, mayFail: true) is { } partial)
        {
            CheckBound(partial, masked, document, problems);
        }
    }

    private static void CheckBound(SessionSettings settings, IConfiguration configuration, YamlDocument document, List<ConfigProblem> problems)
    {
        CheckSession(settings, problems);
        if (settings.ForwardAuth.Enabled && bool.TryParse(configuration["ForwardedHeaders_Enabled"], out var forwardedHeaders) && forwardedHeaders)
        {
            // The framework's switch rewrites the client address before the decision step sees the connection's
            // own: a trusted ingress would look like its client, and its headers would be ignored.
            problems.Add(new ConfigProblem("ForwardedHeaders_Enabled", "cannot be combined with Session:ForwardAuth:Path: forward-auth takes the client address from X-Forwarded-For itself, from Session:ForwardAuth:TrustedProxies only; remove ForwardedHeaders_Enabled"));
        }

        ManagementListener.Parse(settings.Management, configuration, problems);
        var configDirectory = Path.GetDirectoryName(Path.GetFullPath(document.Path))!;
        settings.Admin.LoadKey(settings.Management, configDirectory, problems);
        CheckStoreLocation(settings, configDirectory, problems);
        CheckOidc(settings, configDirectory, problems);
        settings.KeyEncryption.Load(configDirectory, problems);
        UsersFileLoader.Check(settings.Login, configDirectory, problems);
        settings.Webhooks.Check(configDirectory, problems);
        if (settings.Webhooks.Enabled && IsWrittenEmpty(configuration, SessionSettings.SectionName + ":Webhooks:Events"))
        {
            problems.Add(new ConfigProblem(SessionSettings.SectionName + ":Webhooks:Events", "lists no event type; to send no webhooks, remove Session:Webhooks:Url"));
        }
    }

    /// <summary>True when the value in force for <paramref name="key"/> is not the one written in the file.</summary>
    private static bool Overridden(string key, IConfiguration configuration, YamlDocument document) =>
        configuration[key] is { } value &&
        (!document.Data.TryGetValue(key, out var written) || !string.Equals(written, value, StringComparison.Ordinal));

    private const string AssertionClaimsKey = SessionSettings.SectionName + ":Assertion:Claims";

    /// <summary>
    /// True when <paramref name="key"/> is written with no value (<c>Claims: []</c> in YAML is a key with a null value):
    /// the binder skips such a key, which for a list whose unset value means "a default list" would turn "none" into
    /// the default.
    /// </summary>
    private static bool IsWrittenEmpty(IConfiguration configuration, string key) =>
        configuration[key] is null && !configuration.GetSection(key).GetChildren().Any() &&
        configuration is IConfigurationRoot root && root.Providers.Any(p => p.TryGet(key, out _));

    /// <summary>
    /// Binds the Session section with the source-generated binder (<c>EnableConfigurationBindingGenerator</c>: no
    /// reflection, no <c>TypeDescriptor</c>, whose first use alone costs a start 10-25 ms); shorthand durations are
    /// rewritten first (<see cref="Durations.ExpandShorthand"/>). After schema problems a value may not convert,
    /// which is already reported. A section that would bind a null where none may be (a text written empty, a list
    /// where one value belongs) does not bind at all: the services built at start read these settings before the
    /// validator's report is printed, and would fail on the null with a stack trace instead.
    /// </summary>
    /// <param name="configuration">The configuration whose Session section is bound.</param>
    /// <param name="mayFail">Null instead of an exception when the section does not bind.</param>
    /// <param name="shapeChecked">The caller has just checked the section's shape (the schema check) and found it complete.</param>
    public static SessionSettings? TryBind(IConfiguration configuration, bool mayFail = false, bool shapeChecked = false)
    {
        try
        {
            var written = configuration.GetSection(SessionSettings.SectionName);
            if (!shapeChecked && !ConfigSchema.Check(written, typeof(SessionSettings), checkValues: true, []))
            {
                throw new InvalidOperationException("The Session section holds a value that binds as null; the configuration check names it.");
            }

            var section = Durations.ExpandShorthand(written, typeof(SessionSettings));
            var settings = section.Get<SessionSettings>() ?? new SessionSettings();
            return settings.Assertion.Claims is null && IsWrittenEmpty(configuration, AssertionClaimsKey)
                ? settings with { Assertion = settings.Assertion with { Claims = [] } }
                : settings;
        }
        catch (InvalidOperationException) when (mayFail)
        {
            return null;
        }
    }

    private static void CheckTopLevel(YamlDocument document, List<ConfigProblem> problems)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in document.Data.Keys)
        {
            var top = key.Split(':', 2)[0];
            if (seen.Add(top) && !TopLevelKeys.Contains(top, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add(new ConfigProblem(top, $"unknown top-level key '{top}'{ConfigSchema.Suggest(top, TopLevelKeys)}; known: {string.Join(", ", TopLevelKeys)}"));
            }
        }
    }

    /// <summary>The ASP.NET Core keys that would otherwise fail later, at start, with a stack trace.</summary>
    private static void CheckHostSettings(IConfiguration configuration, List<ConfigProblem> problems)
    {
        // The host reads a whole number of seconds and silently keeps its default for anything else; past about 49
        // days its shutdown threw, which skipped the drain and aborted the requests in flight.
        if (configuration["ShutdownTimeoutSeconds"] is { } shutdown &&
            (!int.TryParse(shutdown, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 86_400))
        {
            problems.Add(new ConfigProblem("ShutdownTimeoutSeconds", $"'{shutdown}' is not a whole number of seconds from 0 to 86400"));
        }

        if (configuration["Urls"] is { Length: > 0 } urls)
        {
            ListenAddresses.Check(urls, "Urls", "http://127.0.0.1:8080 or http://*:8080", configuration, problems);
        }

        foreach (var level in configuration.GetSection("Logging").AsEnumerable())
        {
            if (level.Value is { } value && level.Key.Contains(":LogLevel:", StringComparison.OrdinalIgnoreCase) &&
                !Enum.TryParse(typeof(LogLevel), value, ignoreCase: true, out _))
            {
                problems.Add(new ConfigProblem(level.Key, $"'{value}' is not a log level; use one of: {string.Join(", ", Enum.GetNames<LogLevel>())}"));
            }
        }

        // The console logger falls back to its plain text format for a name it does not know: a typo would silently
        // turn JSON lines (which a log pipeline parses) into text.
        if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter &&
            !ConsoleFormatters.Contains(formatter, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add(new ConfigProblem("Logging:Console:FormatterName", $"'{formatter}' is not a console log format; use one of: {string.Join(", ", ConsoleFormatters)}"));
        }
    }

    private static void CheckStoreLocation(SessionSettings settings, string configDirectory, List<ConfigProblem> problems)
    {
        var store = settings.ResolveStore(configDirectory);
        if (store.Provider != StoreProvider.Sqlite || store.ConnectionString.Contains('=', StringComparison.Ordinal) || store.ConnectionString.StartsWith(':'))
        {
            return;
        }

        var directory = Path.GetDirectoryName(store.ConnectionString);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            problems.Add(new ConfigProblem(SessionSettings.SectionName + ":Store:ConnectionString", $"the folder '{directory}' for the session database does not exist"));
        }
    }

    private static void CheckSession(SessionSettings settings, List<ConfigProblem> problems)
    {
        const string session = SessionSettings.SectionName;

        // The engine's own rules, reported against the key each message names.
        foreach (var message in settings.ToEngineOptions().Validate().Concat(settings.Store.Validate()))
        {
            // The engine's messages start with the key they are about; the problem names the key once, in front.
            var parts = message.Split(' ', 2);
            var key = parts[0].TrimEnd('.');
            problems.Add(key.StartsWith(session, StringComparison.Ordinal) && parts.Length == 2
                ? new ConfigProblem(key, parts[1])
                : new ConfigProblem(session, message));
        }

        // 407 is a proxy's own challenge: browsers and HTTP clients treat it as one, not as the app's answer.
        if (settings.ExpiredStatusCode is < 400 or > 499 or 403 or 404 or 405 or 407)
        {
            problems.Add(new ConfigProblem(session + ":ExpiredStatusCode", $"{settings.ExpiredStatusCode} cannot be the session-expired status: use a 4xx other than 403, 404, 405 and 407 (440 by default, 401 for SDK defaults)"));
        }

        (string, string)[] paths = string.IsNullOrWhiteSpace(settings.Login.UsersFile)
            ? [("RefreshPath", settings.RefreshPath), ("SignOutPath", settings.SignOutPath), ("JwksPath", settings.JwksPath), ("SessionsPath", settings.SessionsPath)]
            : [("RefreshPath", settings.RefreshPath), ("SignOutPath", settings.SignOutPath), ("JwksPath", settings.JwksPath), ("SessionsPath", settings.SessionsPath), ("Login:SignInPath", settings.Login.SignInPath)];
        foreach (var (name, path) in paths)
        {
            if (!path.StartsWith('/') || path.Contains('{', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal) || path.Contains(' ', StringComparison.Ordinal))
            {
                problems.Add(new ConfigProblem($"{session}:{name}", $"'{path}' must be a literal path starting with '/'"));
            }
        }

        if (paths.Select(p => p.Item2.TrimEnd('/')).Distinct(StringComparer.OrdinalIgnoreCase).Count() != paths.Length)
        {
            problems.Add(new ConfigProblem(session + ":RefreshPath", "RefreshPath, SignOutPath, JwksPath, SessionsPath (and Login:SignInPath with a users file) must be different paths"));
        }

        CheckForwardAuth(settings, problems);

        if (settings.AntiCsrf.ToUpperInvariant() is not ("AUTO" or "NONE" or "CUSTOM-HEADER" or "TOKEN"))
        {
            problems.Add(new ConfigProblem(session + ":AntiCsrf", $"'{settings.AntiCsrf}' is not one of: auto, none, custom-header, token"));
        }

        if (settings.Cookies.SameSite == CookieSameSite.None && settings.Cookies.Secure != CookieSecure.Always)
        {
            problems.Add(new ConfigProblem(session + ":Cookies:SameSite", "SameSite=None needs Session:Cookies:Secure: always (browsers drop SameSite=None cookies without Secure)"));
        }

        for (var i = 0; i < settings.Cors.AllowedOrigins.Count; i++)
        {
            var origin = settings.Cors.AllowedOrigins[i];
            if (origin == "*" || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                problems.Add(new ConfigProblem($"{session}:Cors:AllowedOrigins:{i}", $"'{origin}' must be an exact origin such as https://app.example.com (no '*', path or trailing '/'): credentials need an explicit origin"));
            }
        }

        for (var i = 0; i < settings.Cors.AllowedHeaders.Count; i++)
        {
            CheckHeaderName(settings.Cors.AllowedHeaders[i], $"{session}:Cors:AllowedHeaders:{i}", problems);
        }

        foreach (var (name, rule) in new[] { ("Refresh", settings.RateLimits.Refresh), ("Login", settings.RateLimits.Login) })
        {
            if (rule.PermitLimit < 1)
            {
                problems.Add(new ConfigProblem($"{session}:RateLimits:{name}:PermitLimit", $"{rule.PermitLimit} must be at least 1 (to turn the limit off, set Enabled: false)"));
            }

            if (rule.Window < TimeSpan.FromSeconds(1))
            {
                problems.Add(new ConfigProblem($"{session}:RateLimits:{name}:Window", "must be at least 1 second"));
            }
        }

        CheckHeaderName(settings.Login.CreateHeader, session + ":Login:CreateHeader", problems);
        CheckHeaderName(settings.Login.ClaimsHeader, session + ":Login:ClaimsHeader", problems);
        CheckFormLogin(settings.Login.Form, problems);

        foreach (var (name, policy) in settings.Policies)
        {
            if (name.Equals("default", StringComparison.OrdinalIgnoreCase) || name.Equals("anonymous", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new ConfigProblem($"{session}:Policies:{name}", $"'{name}' is a built-in policy name"));
            }

            if (policy.RequireClaims.Count == 0)
            {
                problems.Add(new ConfigProblem($"{session}:Policies:{name}", "a policy needs at least one entry under RequireClaims"));
            }
        }

        const string headers = session + ":Headers";
        CheckHeaderName(settings.Headers.UserId, headers + ":UserId", problems);
        CheckHeaderName(settings.Headers.SessionHandle, headers + ":SessionHandle", problems);
        if (settings.Headers.ReservedPrefix.Length > 0)
        {
            CheckHeaderName(settings.Headers.ReservedPrefix, headers + ":ReservedPrefix", problems);
        }

        foreach (var (claim, header) in settings.Headers.Claims)
        {
            CheckHeaderName(header, $"{headers}:Claims:{claim}", problems);
        }

        for (var i = 0; i < settings.Headers.Strip.Count; i++)
        {
            CheckHeaderName(settings.Headers.Strip[i], $"{headers}:Strip:{i}", problems);
        }

        CheckAssertion(settings, problems);
    }

    private static void CheckFormLogin(FormLoginSettings form, List<ConfigProblem> problems)
    {
        const string key = SessionSettings.SectionName + ":Login:Form";
        if (string.IsNullOrWhiteSpace(form.UserField) || form.UserField.Length > 256)
        {
            problems.Add(new ConfigProblem(key + ":UserField", "needs the name of the form field that holds the user name (at most 256 characters)"));
        }

        for (var i = 0; i < form.EffectiveSuccessStatus.Count; i++)
        {
            // An error status is never a login; 1xx and 304 are no answer to a form at all.
            if (form.EffectiveSuccessStatus[i] is < 200 or > 399 or 304)
            {
                problems.Add(new ConfigProblem($"{key}:SuccessStatus:{i}", $"{form.EffectiveSuccessStatus[i]} cannot mean a successful login: use a 2xx or 3xx status (not 304)"));
            }
        }

        // The default is known to compile; building a regular expression costs a start a few milliseconds.
        if (!string.Equals(form.FailureLocation, FormLoginSettings.DefaultFailureLocation, StringComparison.Ordinal))
        {
            CheckFailureLocation(form.FailureLocation, key + ":FailureLocation", problems);
        }
    }

    /// <summary>A method of its own: precompiled code loads the regular expression library as a method naming it is entered.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void CheckFailureLocation(string pattern, string key, List<ConfigProblem> problems)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, FormLoginSettings.FailureLocationOptions, FormLoginSettings.MatchTimeout);
        }
        catch (ArgumentException e)
        {
            problems.Add(new ConfigProblem(key, $"is not a .NET regular expression: {e.Message}"));
        }
    }

    private static void CheckForwardAuth(SessionSettings settings, List<ConfigProblem> problems)
    {
        const string forwardAuth = SessionSettings.SectionName + ":ForwardAuth";
        if (settings.ForwardAuth.Path is { } path)
        {
            if (!path.StartsWith('/') || path.TrimEnd('/').Length == 0 || path.Contains('{', StringComparison.Ordinal) ||
                path.Contains('?', StringComparison.Ordinal) || path.Contains(' ', StringComparison.Ordinal))
            {
                problems.Add(new ConfigProblem(forwardAuth + ":Path", $"'{path}' must be a literal path starting with '/', other than '/' itself"));
            }
            else
            {
                // Everything under the decision path is a decision (Envoy's checks come as path_prefix + path).
                var decision = new PathString(path.TrimEnd('/'));
                foreach (var (name, own) in new[] { ("RefreshPath", settings.RefreshPath), ("SignOutPath", settings.SignOutPath), ("JwksPath", settings.JwksPath), ("SessionsPath", settings.SessionsPath) })
                {
                    // A path not starting with '/' is reported above (and PathString would throw on it).
                    if (own.StartsWith('/') && new PathString(own.TrimEnd('/')).StartsWithSegments(decision, StringComparison.OrdinalIgnoreCase))
                    {
                        problems.Add(new ConfigProblem(forwardAuth + ":Path", $"'{path}' would take over Session:{name} '{own}': every path under the decision path is a decision request"));
                    }
                }
            }
        }

        // What is written, whether forward-auth is on or not (a mistake is reported before it is switched on); the
        // defaults are known to parse, and the first address parse of a process costs a start a few milliseconds.
        var proxies = settings.ForwardAuth.TrustedProxies ?? [];
        for (var i = 0; i < proxies.Count; i++)
        {
            if (!ForwardAuth.TrustedProxies.TryParse([proxies[i]], out _, out _))
            {
                problems.Add(new ConfigProblem($"{forwardAuth}:TrustedProxies:{i}", $"'{proxies[i]}' is not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)"));
            }
        }
    }

    private static void CheckOidc(SessionSettings settings, string configDirectory, List<ConfigProblem> problems)
    {
        const string oidc = SessionSettings.SectionName + ":Oidc";
        foreach (var (name, provider) in settings.Oidc.Providers)
        {
            var key = $"{oidc}:Providers:{name}";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                problems.Add(new ConfigProblem(key, $"'{name}' cannot be a provider name: it is a path segment of /api/login/{{name}}, so letters, digits, '-' and '_' only"));
            }

            if (string.IsNullOrWhiteSpace(provider.Authority) || !Uri.TryCreate(provider.Authority, UriKind.Absolute, out var authority) ||
                authority.Scheme is not ("https" or "http") || authority.Query.Length > 0 || authority.Fragment.Length > 0)
            {
                problems.Add(new ConfigProblem(key + ":Authority", $"'{provider.Authority}' must be the provider's issuer URL, such as https://login.example.com/realms/main"));
            }
            else if (authority.Scheme == "http" && !authority.IsLoopback)
            {
                // The provider's keys and the code exchange travel over this: in clear text, anyone on the way could
                // sign in as anyone. Loopback (development, tests) never leaves the machine.
                problems.Add(new ConfigProblem(key + ":Authority", $"'{provider.Authority}' is http:// on a host that is not a loopback address: use https:// (http is accepted for 127.0.0.1, ::1 and localhost only)"));
            }

            if (string.IsNullOrWhiteSpace(provider.ClientId))
            {
                problems.Add(new ConfigProblem(key + ":ClientId", "is required: the client id the provider registered for the gateway"));
            }

            if (!string.IsNullOrEmpty(provider.ClientSecret) && !string.IsNullOrEmpty(provider.ClientSecretFile))
            {
                problems.Add(new ConfigProblem(key + ":ClientSecretFile", "set either ClientSecret or ClientSecretFile, not both"));
            }
            else if (!string.IsNullOrEmpty(provider.ClientSecretFile))
            {
                var path = Path.GetFullPath(provider.ClientSecretFile, configDirectory);
                try
                {
                    if (File.ReadAllText(path).Trim().Length == 0)
                    {
                        problems.Add(new ConfigProblem(key + ":ClientSecretFile", $"the file '{path}' is empty"));
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    problems.Add(new ConfigProblem(key + ":ClientSecretFile", $"cannot read '{path}': {ex.Message}"));
                }
            }

            if (!provider.EffectiveScopes.Contains("openid", StringComparer.Ordinal))
            {
                problems.Add(new ConfigProblem(key + ":Scopes", "must include 'openid'"));
            }

            if (string.IsNullOrWhiteSpace(provider.UserIdClaim))
            {
                problems.Add(new ConfigProblem(key + ":UserIdClaim", "must name a claim (default: sub)"));
            }

            if (provider.UserIdPrefix is { } prefix && (prefix.Length == 0 || Proxy.UserIds.Problem(prefix) is not null))
            {
                problems.Add(new ConfigProblem(key + ":UserIdPrefix", "must be non-empty printable text that a user id may start with (such as 'google:')"));
            }

            foreach (var (from, to) in provider.Claims)
            {
                if (string.IsNullOrWhiteSpace(to) || ReservedClaims.IsReserved(to) || to == Oidc.OidcLoginEvents.ProviderClaim)
                {
                    problems.Add(new ConfigProblem($"{key}:Claims:{from}", $"'{to}' cannot be a session claim name (empty, one of the token's own claims, or '{Oidc.OidcLoginEvents.ProviderClaim}', the provider's name)"));
                }
            }
        }

        if (settings.Oidc.RedirectUnauthenticated is { } redirect && !settings.Oidc.Providers.ContainsKey(redirect))
        {
            problems.Add(new ConfigProblem(oidc + ":RedirectUnauthenticated", $"'{redirect}' is not a provider under {oidc}:Providers"));
        }
    }

    private static void CheckAssertion(SessionSettings settings, List<ConfigProblem> problems)
    {
        const string assertion = SessionSettings.SectionName + ":Assertion";
        var header = settings.Assertion.Header;
        CheckHeaderName(header, assertion + ":Header", problems);
        var sameHeader = new[] { ("UserId", settings.Headers.UserId), ("SessionHandle", settings.Headers.SessionHandle) }
            .Concat(settings.Headers.Claims.Select(c => ("Claims:" + c.Key, c.Value)))
            .FirstOrDefault(h => HeaderNamesEqual(h.Item2, header));
        if (sameHeader.Item1 is not null)
        {
            problems.Add(new ConfigProblem(assertion + ":Header", $"'{header}' is already Session:Headers:{sameHeader.Item1}; the assertion needs a header of its own"));
        }

        var lifetime = settings.Assertion.Lifetime;
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > AssertionSettings.MaxLifetime || lifetime.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add(new ConfigProblem(assertion + ":Lifetime", $"{lifetime.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}s must be whole seconds from 1s to 60s (an assertion cannot be revoked: it may outlive a sign-out by its lifetime)"));
        }

        var claims = settings.Assertion.Claims ?? [];
        for (var i = 0; i < claims.Count; i++)
        {
            var claim = claims[i];
            if (string.IsNullOrEmpty(claim))
            {
                problems.Add(new ConfigProblem($"{assertion}:Claims:{i}", "a claim name cannot be empty"));
            }
            else if (AssertionIssuer.IsReserved(claim) || ReservedClaims.IsReserved(claim))
            {
                problems.Add(new ConfigProblem($"{assertion}:Claims:{i}", $"'{claim}' is not a session claim the assertion can carry: the assertion sets iss, aud, sub, sid, iat and exp itself, and the access token's own claims stay in the access token"));
            }
        }
    }

    private static bool HeaderNamesEqual(string a, string b) =>
        string.Equals(a.Replace('_', '-'), b.Replace('_', '-'), StringComparison.OrdinalIgnoreCase);

    private static void CheckHeaderName(string name, string key, List<ConfigProblem> problems)
    {
        if (name.Length == 0 || !name.All(IsTokenChar))
        {
            problems.Add(new ConfigProblem(key, $"'{name}' is not a valid HTTP header name"));
        }
    }

    // RFC 9110 token characters.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

    private static void CheckAssertionMetadata(RouteConfig route, string key, List<ConfigProblem> problems)
    {
        if (route.Metadata is not { } metadata)
        {
            return;
        }

        if (metadata.TryGetValue(AssertionSettings.RouteMetadataKey, out var optIn) && optIn is not ("true" or "false"))
        {
            problems.Add(new ConfigProblem($"{key}:Metadata:{AssertionSettings.RouteMetadataKey}", $"route '{route.RouteId}': metadata {AssertionSettings.RouteMetadataKey} must be \"true\" or \"false\", not '{optIn}'"));
        }

        if (metadata.TryGetValue(AssertionSettings.AudienceMetadataKey, out var audience) && string.IsNullOrWhiteSpace(audience))
        {
            problems.Add(new ConfigProblem($"{key}:Metadata:{AssertionSettings.AudienceMetadataKey}", $"route '{route.RouteId}': metadata {AssertionSettings.AudienceMetadataKey} needs a value (unset, the audience is the route's cluster id)"));
        }
    }

    private static void CheckProxy(IProxyConfig proxy, IConfigValidator? validator, List<ConfigProblem> problems)
    {
        var clusters = proxy.Clusters.ToDictionary(c => c.ClusterId, StringComparer.OrdinalIgnoreCase);
        foreach (var route in proxy.Routes)
        {
            var key = $"{ReverseProxySchema.SectionName}:Routes:{route.RouteId}";
            if (string.IsNullOrEmpty(route.ClusterId))
            {
                problems.Add(new ConfigProblem(key, $"route '{route.RouteId}' has no ClusterId"));
            }
            else if (!clusters.ContainsKey(route.ClusterId))
            {
                problems.Add(new ConfigProblem(key + ":ClusterId", $"route '{route.RouteId}' names cluster '{route.ClusterId}', which is not defined under ReverseProxy:Clusters{ConfigSchema.Suggest(route.ClusterId, clusters.Keys)}"));
            }

            CheckAssertionMetadata(route, key, problems);

            // YARP takes whole milliseconds (under 1 ms is 0: every request times out at once) and caps at int.MaxValue.
            if (route.Timeout is { } timeout && (timeout < TimeSpan.FromSeconds(1) || timeout > Sessions.SessionEngineOptions.LongestTimerInterval))
            {
                problems.Add(new ConfigProblem(key + ":Timeout", $"route '{route.RouteId}': a timeout of {timeout} is outside 1 second to 24 days"));
            }

            if (!string.IsNullOrEmpty(route.CorsPolicy))
            {
                // CORS is answered for every path before routing (Session:Cors), and routing's check that an endpoint's
                // CORS metadata was handled is off (RouteAccessMiddleware stands in for UseAuthorization), so a route's
                // own policy would be ignored without a word: its "disable" would still get credentialed CORS.
                problems.Add(new ConfigProblem(key + ":CorsPolicy", $"route '{route.RouteId}' sets CorsPolicy '{route.CorsPolicy}': the gateway answers CORS itself for every path, from Session:Cors:AllowedOrigins, so a route's own CORS policy would not apply; remove it"));
            }

            if (validator is not null)
            {
                foreach (var error in validator.ValidateRouteAsync(route).AsTask().GetAwaiter().GetResult())
                {
                    problems.Add(new ConfigProblem(key, error.Message));
                }
            }
        }

        foreach (var cluster in proxy.Clusters)
        {
            var key = $"{ReverseProxySchema.SectionName}:Clusters:{cluster.ClusterId}";
            if (cluster.Destinations is null || cluster.Destinations.Count == 0)
            {
                problems.Add(new ConfigProblem(key, $"cluster '{cluster.ClusterId}' has no Destinations"));
            }

            foreach (var (name, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
            {
                if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var address) ||
                    (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps) ||
                    address.Host.Length == 0)
                {
                    problems.Add(new ConfigProblem($"{key}:Destinations:{name}:Address", $"'{destination.Address}' is not an absolute http:// or https:// address"));
                }
            }

            if (validator is not null)
            {
                foreach (var error in validator.ValidateClusterAsync(cluster).AsTask().GetAwaiter().GetResult())
                {
                    problems.Add(new ConfigProblem(key, error.Message));
                }
            }
        }
    }
}
