using System.Text.RegularExpressions;
using SessionGateway.ForwardAuth;
using YamlDotNet.RepresentationModel;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// The shipped forward-auth configurations (deploy/traefik, deploy/envoy, and the names in deploy/nginx and
/// deploy/caddy) against the contract and the forward-auth example they are written for (deploy/proxy.forward-auth.yaml):
/// the decision path, the gateway's own paths (refresh, sign-out, JWKS, "your devices" and every path under it, the SessionLogin routes), the headers the
/// gateway reads, the exact headers it answers, the headers it owns, and that no client's description of "the original
/// request" reaches the gateway. Traefik and Envoy are not installed here (nginx and Caddy run for real in
/// ShippedProxyTests); a rename on either side breaks this test.
/// </summary>
public sealed partial class ForwardAuthConfigTests
{
    /// <summary>What the gateway reads of the original request besides path, method and host (the SDK's headers, docs/protocol.md).</summary>
    private static readonly string[] RequestHeaders = ["Cookie", "Authorization", "Origin", "Anti-Csrf", "Rid", "St-Auth-Mode", "Fdi-Version"];

    /// <summary>The header-mode token names: never in an answer, always removed from the upstream request.</summary>
    private static readonly string[] TokenHeaders = ["St-Access-Token", "St-Refresh-Token"];

    /// <summary>
    /// What the gateway reads from a trusted proxy as the description of the original request (docs/forward-auth.md,
    /// "The original request"), and the client address. Each must come from the proxy alone: set by it, or cleared.
    /// </summary>
    private static readonly string[] DescriptionHeaders =
    [
        ForwardAuthHeaders.OriginalUrl, ForwardAuthHeaders.OriginalUri, ForwardAuthHeaders.OriginalMethod,
        ForwardAuthHeaders.ForwardedUri, ForwardAuthHeaders.ForwardedMethod, ForwardAuthHeaders.ForwardedHost,
        ForwardAuthHeaders.ForwardedProto, "X-Forwarded-For",
    ];

    private static readonly StringComparer Names = StringComparer.OrdinalIgnoreCase;

    private static readonly ShippedGateway Gateway = ShippedGateway.Read();

    [Fact]
    public void ForwardAuthExample_HasTheDecisionPath_TheDeployFilesUse()
    {
        Assert.Equal("/api/verify", Gateway.DecisionPath);
        Assert.Equal(["/api/refresh", "/api/signout", "/.well-known/jwks.json", "/api/sessions", "/login"], Gateway.OwnPaths);
        Assert.Equal("/api/sessions/", Gateway.SessionsPrefix);
        Assert.Equal(8080, Gateway.Port);
    }

    [Fact]
    public void ShippedProxyYaml_LeavesForwardAuthOff()
    {
        // On, the decision path is the gateway's on every host and method (an app path under it never reaches the app)
        // and X-Forwarded-For from loopback names the client: nothing a proxy-mode deployment should get by copying it.
        var yaml = Yaml.LoadDocuments(File.ReadAllText(RepositoryFiles.PathOf("proxy.yaml"))).Single();

        Assert.Null(yaml.At("Session.ForwardAuth", ignoreCase: true));
    }

    [Fact]
    public void Traefik_ForwardAuth_AsksTheDecisionPath_WithTheContractsHeaders_AndCopiesExactlyTheAnswer()
    {
        var dynamic = Load("traefik", "dynamic.yaml");
        var forwardAuth = dynamic.At("http.middlewares.session-gateway.forwardAuth");

        var address = new Uri(forwardAuth.Text("address")!);
        Assert.Equal(Gateway.DecisionPath, address.AbsolutePath);
        Assert.Equal(Gateway.Port, address.Port);
        Assert.Equal("false", forwardAuth.Text("trustForwardHeader"));
        Assert.Equal(RequestHeaders.Order(Names), forwardAuth.Strings("authRequestHeaders").Order(Names), Names);
        // Traefik sets X-Forwarded-* from the request itself (trustForwardHeader: false) and sends no other client header
        // than these (an empty list would send them all, a client's X-Original-URL included).
        Assert.DoesNotContain(forwardAuth.Strings("authRequestHeaders"), h => DescriptionHeaders.Contains(h, Names));
        Assert.Equal(Gateway.AnswerHeaders.Concat(TokenHeaders).Order(Names), forwardAuth.Strings("authResponseHeaders").Order(Names), Names);

        // Go canonical names (X-Session-Foo, X_user_id): the prefix and every '_' spelling are removed, nothing else.
        var regex = new Regex(forwardAuth.Text("authResponseHeadersRegex")!, RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.All(["X-Session-Anything", "X-Session-Assertion", "X_user_id", "X-User_id", "X_session_handle", "X-Session_handle"], name => Assert.Matches(regex, name));
        Assert.All(["Cookie", "Authorization", "X-User-Id", "Content-Type", "X-Forwarded-For"], name => Assert.DoesNotMatch(regex, name));
    }

    [Fact]
    public void Traefik_TheGatewaysOwnPaths_GoToTheGatewayWithoutADecision_EverythingElseThroughTheMiddleware()
    {
        var dynamic = Load("traefik", "dynamic.yaml");
        var gatewayRouter = dynamic.At("http.routers.session-gateway");
        var appRouter = dynamic.At("http.routers.app");

        var paths = TraefikPathRule().Matches(gatewayRouter.Text("rule")!).Select(m => m.Groups[1].Value);
        Assert.Equal(Gateway.OwnPaths.Order(), paths.Order());
        // "Your devices": every path under Session:SessionsPath too, with the '/' (PathPrefix(`/api/sessions`) would take /api/sessionsX).
        Assert.Equal([Gateway.SessionsPrefix], TraefikPathPrefixRule().Matches(gatewayRouter.Text("rule")!).Select(m => m.Groups[1].Value));
        Assert.Equal("session-gateway", gatewayRouter.Text("service"));
        Assert.Null(gatewayRouter.At("middlewares"));
        Assert.Equal(["session-gateway"], appRouter.Strings("middlewares"));
        Assert.Equal("PathPrefix(`/`)", appRouter.Text("rule"));
        Assert.True(int.Parse(gatewayRouter.Text("priority")!, System.Globalization.CultureInfo.InvariantCulture) > int.Parse(appRouter.Text("priority")!, System.Globalization.CultureInfo.InvariantCulture));
        var server = new Uri(dynamic.Items("http.services.session-gateway.loadBalancer.servers").Single().Text("url")!);
        Assert.Equal(Gateway.Port, server.Port);
    }

    [Fact]
    public void Envoy_ExtAuthz_AsksUnderTheDecisionPath_WithTheContractsHeaders_AndCopiesExactlyTheAnswer()
    {
        var manager = EnvoyConnectionManager();
        var extAuthz = manager.Items("http_filters").Single(f => f.Text("name") == "envoy.filters.http.ext_authz").At("typed_config");

        Assert.Equal(Gateway.DecisionPath, extAuthz.Text("http_service.path_prefix"));
        Assert.Equal("session_gateway", extAuthz.Text("http_service.server_uri.cluster"));
        Assert.Equal("false", extAuthz.Text("failure_mode_allow"));
        var patterns = extAuthz.Items("allowed_headers.patterns").Select(p => (Exact: p.Text("exact"), Prefix: p.Text("prefix"))).ToList();
        // Envoy compares lower-case names with the patterns as written: each pattern is lower case.
        Assert.All(patterns, p => Assert.Matches("^[a-z0-9-]+$", p.Exact ?? p.Prefix ?? ""));
        bool Allowed(string header) => patterns.Any(p => string.Equals(p.Exact, header, StringComparison.OrdinalIgnoreCase) || (p.Prefix is { } prefix && header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
        Assert.All(RequestHeaders, h => Assert.True(Allowed(h), h));
        // The gateway can name in x-envoy-auth-headers-to-remove only the headers Envoy sent it: every header it owns,
        // and its reserved prefix as a prefix, or a client's X-User-Id (when the answer has none) reaches the app.
        Assert.All(Gateway.OwnedHeaders, h => Assert.True(Allowed(h), h + " is not sent to the gateway, so Envoy forwards a client's"));
        Assert.Contains(patterns, p => string.Equals(p.Prefix, Gateway.ReservedPrefix, StringComparison.OrdinalIgnoreCase));
        // The edge sets these two itself (use_remote_address: true); no other description of the request is sent.
        Assert.All(DescriptionHeaders.Except(["X-Forwarded-For", "X-Forwarded-Proto"]), h => Assert.False(Allowed(h), h));
        Assert.Equal("true", manager.Text("use_remote_address"));
        var upstream = extAuthz.Items("http_service.authorization_response.allowed_upstream_headers.patterns").Select(p => p.Text("exact")).ToList();
        Assert.Equal(Gateway.AnswerHeaders.Select(h => h.ToLowerInvariant()).Order(), upstream.Order());
        Assert.Equal("REJECT_REQUEST", manager.Text("common_http_protocol_options.headers_with_underscores_action"));
    }

    [Fact]
    public void Envoy_TheGatewaysOwnPaths_GoToTheGatewayWithExtAuthzDisabled_EverythingElseIsChecked()
    {
        var manager = EnvoyConnectionManager();
        var routes = manager.Items("route_config.virtual_hosts").Single().Items("routes").ToList();

        var own = routes.Where(r => r.Text("match.path") is not null).ToList();
        Assert.Equal(Gateway.OwnPaths.Order(), own.Select(r => r.Text("match.path")!).Order());
        // "Your devices": every path under Session:SessionsPath too, with the '/' (prefix /api/sessions would take /api/sessionsX).
        var under = Assert.Single(routes, r => r.Text("match.prefix") is { } prefix && prefix != "/");
        Assert.Equal(Gateway.SessionsPrefix, under.Text("match.prefix"));
        own.Add(under);
        Assert.All(own, r =>
        {
            Assert.Equal("session_gateway", r.Text("route.cluster"));
            var perFilter = (YamlMappingNode)r.At("typed_per_filter_config")!;
            Assert.Equal("true", perFilter.Children[new YamlScalarNode("envoy.filters.http.ext_authz")].Text("disabled"));
        });
        var rest = Assert.Single(routes, r => r.Text("match.prefix") == "/");
        Assert.Equal("app", rest.Text("route.cluster"));
        Assert.Null(rest.At("typed_per_filter_config"));
        var cluster = Load("envoy", "envoy.yaml").Items("static_resources.clusters").Single(c => c.Text("name") == "session_gateway");
        Assert.Equal(Gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Items("load_assignment.endpoints").Single().Items("lb_endpoints").Single().Text("endpoint.address.socket_address.port_value"));
    }

    [Fact]
    public void Nginx_SetsEveryAnswerHeaderOnTheUpstreamRequest_AndSendsTheGatewaysOwnPathsToIt()
    {
        var snippet = File.ReadAllText(RepositoryFiles.PathOf("deploy", "nginx", "session-gateway-auth.conf"));
        var server = File.ReadAllText(RepositoryFiles.PathOf("deploy", "nginx", "session-gateway.conf"));

        var set = NginxSetFromAnswer().Matches(snippet).Select(m => (Header: m.Groups[1].Value, Variable: m.Groups[2].Value)).ToList();
        var fromAnswer = NginxAuthRequestSet().Matches(snippet).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(Gateway.AnswerHeaders.Order(Names), set.Select(s => s.Header).Order(Names), Names);
        Assert.All(set, s => Assert.Equal(s.Header.ToLowerInvariant().Replace('-', '_'), fromAnswer[s.Variable]));
        Assert.All(TokenHeaders, h => Assert.Matches($"(?im)^proxy_set_header {h} +\"\";", snippet));
        Assert.Contains("more_clear_input_headers 'X-Session-*';", snippet, StringComparison.Ordinal);

        var verify = NginxVerifyLocation().Match(server).Groups[1].Value;
        var setForGateway = NginxProxySetHeader().Matches(verify).Select(m => m.Groups[1].Value).ToList();
        Assert.All(DescriptionHeaders, h => Assert.Contains(h, setForGateway, Names));

        Assert.Equal(Gateway.OwnPaths.Order(), NginxExactGatewayLocation().Matches(server).Select(m => m.Groups[1].Value).Order());
        // "Your devices": every path under Session:SessionsPath too (^~: no regex location can take it back), with the '/'.
        Assert.Equal([Gateway.SessionsPrefix], NginxPrefixGatewayLocation().Matches(server).Select(m => m.Groups[1].Value));
        Assert.Contains($"proxy_pass http://session_gateway{Gateway.DecisionPath};", server, StringComparison.Ordinal);
        Assert.Contains($"server 127.0.0.1:{Gateway.Port};", server, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ingress-nginx.yaml")]
    [InlineData("ingress-nginx-no-snippets.yaml")]
    public void IngressNginx_AsksTheDecisionPath_CopiesExactlyTheAnswer_AndClearsAClientsDescription(string file)
    {
        var documents = Yaml.LoadDocuments(File.ReadAllText(RepositoryFiles.PathOf("deploy", "nginx", file)));
        var ingress = documents.Single(d => d.Text("kind") == "Ingress" && d.Text("metadata.name") == "app");
        var annotations = (YamlMappingNode)ingress.At("metadata.annotations")!;
        string? Annotation(string name) => annotations.Children.TryGetValue(new YamlScalarNode("nginx.ingress.kubernetes.io/" + name), out var value) ? ((YamlScalarNode)value).Value : null;

        Assert.Equal(Gateway.DecisionPath, new Uri(Annotation("auth-url")!).AbsolutePath);
        var copied = Annotation("auth-response-headers")!.Split(',');
        var snippet = Annotation("configuration-snippet");
        if (snippet is null)
        {
            // No snippets: each listed header is a proxy_set_header from the answer; the gateway never answers the token
            // names, so listing them removes a client's.
            Assert.Equal(Gateway.AnswerHeaders.Concat(TokenHeaders).Order(Names), copied.Order(Names), Names);
        }
        else
        {
            Assert.Equal(Gateway.AnswerHeaders.Order(Names), copied.Order(Names), Names);
            Assert.Contains("more_clear_input_headers 'X-Session-*' 'st-access-token' 'st-refresh-token';", snippet, StringComparison.Ordinal);
        }

        // ingress-nginx's auth location sets X-Original-URL, X-Original-Method and X-Forwarded-For and blanks
        // X-Forwarded-Proto (its nginx.tmpl); every other description header of a client is cleared through
        // auth-proxy-set-headers (a ConfigMap of the Ingress's namespace; an empty value sends no header).
        var clearing = documents.Single(d => d.Text("kind") == "ConfigMap" && d.Text("metadata.name") == Annotation("auth-proxy-set-headers"));
        Assert.Equal(ingress.Text("metadata.namespace"), clearing.Text("metadata.namespace"));
        var cleared = ((YamlMappingNode)clearing.At("data")!).Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value, Names);
        string[] setByIngressNginx = [ForwardAuthHeaders.OriginalUrl, ForwardAuthHeaders.OriginalMethod, ForwardAuthHeaders.ForwardedProto, "X-Forwarded-For"];
        Assert.Equal(DescriptionHeaders.Except(setByIngressNginx, Names).Order(Names), cleared.Keys.Order(Names), Names);
        Assert.All(cleared.Values, v => Assert.Equal("", v));
    }

    [Fact]
    public void IngressNginx_TheGatewaysOwnPaths_GoToTheGatewaysService_SessionsPathWithEveryPathUnderIt()
    {
        var documents = Yaml.LoadDocuments(File.ReadAllText(RepositoryFiles.PathOf("deploy", "nginx", "ingress-nginx.yaml")));
        var ingress = documents.Single(d => d.Text("kind") == "Ingress" && d.Text("metadata.name") == "app-session-gateway");
        var paths = ingress.Items("spec.rules").Single().Items("http.paths").Select(p => (Path: p.Text("path")!, Type: p.Text("pathType")!, Service: p.Text("backend.service.name"), Port: p.Text("backend.service.port.number"))).ToList();

        Assert.All(paths, p => Assert.Equal(("session-gateway", Gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), (p.Service, p.Port)));
        var sessionsPath = Gateway.SessionsPrefix.TrimEnd('/');
        Assert.Equal(Gateway.OwnPaths.Where(p => p != sessionsPath).Order(), paths.Where(p => p.Type == "Exact").Select(p => p.Path).Order());
        // A Prefix matches whole path elements: /api/sessions and /api/sessions/{handle}, never /api/sessionsX.
        Assert.Equal([(sessionsPath, "Prefix")], paths.Where(p => p.Type != "Exact").Select(p => (p.Path, p.Type)));
    }

    [Fact]
    public void Caddy_CopiesExactlyTheAnswer_RemovesWhatItLacks_AndSendsTheGatewaysOwnPathsToIt()
    {
        var caddyfile = File.ReadAllText(RepositoryFiles.PathOf("deploy", "caddy", "Caddyfile"));

        Assert.Matches($@"(?m)^\s+uri {Regex.Escape(Gateway.DecisionPath)}$", caddyfile);
        var copied = CaddyCopyHeaders().Match(caddyfile).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Gateway.AnswerHeaders.Order(Names), copied.Order(Names), Names);
        var removedWhenUnanswered = CaddyStaleMatcher().Matches(caddyfile).Select(m => (Header: m.Groups[1].Value, Placeholder: m.Groups[2].Value)).ToList();
        Assert.Equal(copied.Order(Names), removedWhenUnanswered.Select(r => r.Header).Order(Names), Names);
        Assert.All(removedWhenUnanswered, r => Assert.Equal(r.Header, r.Placeholder));
        Assert.All(TokenHeaders.Append("X-Session-*").Append("*_*"), h => Assert.Contains("request_header -" + h + "\n", caddyfile, StringComparison.Ordinal));
        // forward_auth sets X-Forwarded-Method and -Uri, reverse_proxy X-Forwarded-For, -Proto and -Host (a client's
        // ignored without trusted_proxies); every other description header is the client's unless removed before it.
        var beforeDecision = caddyfile[..CaddyForwardAuth().Match(caddyfile).Index];
        string[] setByCaddy = [ForwardAuthHeaders.ForwardedMethod, ForwardAuthHeaders.ForwardedUri, ForwardAuthHeaders.ForwardedHost, ForwardAuthHeaders.ForwardedProto, "X-Forwarded-For"];
        Assert.All(DescriptionHeaders.Except(setByCaddy, Names), h => Assert.Contains("request_header -" + h + "\n", beforeDecision, StringComparison.Ordinal));
        // "Your devices": every path under Session:SessionsPath too, with the '/' (/api/sessions* would take /api/sessionsX).
        Assert.Equal(Gateway.OwnPaths.Append(Gateway.SessionsPrefix + "*").Order(), CaddyGatewayPaths().Match(caddyfile).Groups[1].Value.Split(' ').Order());
    }

    private static YamlMappingNode Load(params string[] path) =>
        Yaml.LoadDocuments(File.ReadAllText(RepositoryFiles.PathOf(["deploy", .. path]))).Single();

    private static YamlNode EnvoyConnectionManager() =>
        Load("envoy", "envoy.yaml").Items("static_resources.listeners").Single().Items("filter_chains").Single().Items("filters")
            .Single(f => f.Text("name") == "envoy.filters.network.http_connection_manager").At("typed_config")!;

    [GeneratedRegex(@"(?<!\w)Path\(`([^`]+)`\)")]
    private static partial Regex TraefikPathRule();

    [GeneratedRegex(@"PathPrefix\(`([^`]+)`\)")]
    private static partial Regex TraefikPathPrefixRule();

    [GeneratedRegex(@"(?m)^proxy_set_header (\S+) +(\$session_\w+);")]
    private static partial Regex NginxSetFromAnswer();

    [GeneratedRegex(@"(?m)^auth_request_set (\$session_\w+) +\$upstream_http_(\w+);")]
    private static partial Regex NginxAuthRequestSet();

    [GeneratedRegex(@"(?m)^\s+location = (\S+) +\{ proxy_pass http://session_gateway;")]
    private static partial Regex NginxExactGatewayLocation();

    [GeneratedRegex(@"(?m)^\s+location \^~ (\S+) +\{ proxy_pass http://session_gateway;")]
    private static partial Regex NginxPrefixGatewayLocation();

    [GeneratedRegex(@"(?ms)^\s+location = /_session_gateway/verify \{$(.*?)^\s+\}$")]
    private static partial Regex NginxVerifyLocation();

    [GeneratedRegex(@"(?m)^\s*proxy_set_header (\S+) ")]
    private static partial Regex NginxProxySetHeader();

    [GeneratedRegex(@"(?m)^\s+copy_headers (.+)$")]
    private static partial Regex CaddyCopyHeaders();

    [GeneratedRegex(@"(?m)^\s+@session_stale_\w+ not header (\S+) \{http\.reverse_proxy\.header\.(\S+)\}$")]
    private static partial Regex CaddyStaleMatcher();

    [GeneratedRegex(@"(?m)^\s+forward_auth ")]
    private static partial Regex CaddyForwardAuth();

    [GeneratedRegex(@"(?m)^\s+@session_gateway path (.+)$")]
    private static partial Regex CaddyGatewayPaths();

    /// <summary>
    /// What the forward-auth example (deploy/proxy.forward-auth.yaml) says the deploy files must agree with: the decision
    /// path, the gateway's own paths, the headers an allowed answer may carry for the proxy to copy, the names the
    /// gateway owns on the upstream request besides its reserved prefix, and its port.
    /// </summary>
    private sealed record ShippedGateway(string DecisionPath, IReadOnlyList<string> OwnPaths, string SessionsPrefix, IReadOnlyList<string> AnswerHeaders, IReadOnlyList<string> OwnedHeaders, string ReservedPrefix, int Port)
    {
        public static ShippedGateway Read()
        {
            var yaml = Yaml.LoadDocuments(File.ReadAllText(RepositoryFiles.PathOf("deploy", "proxy.forward-auth.yaml"))).Single();
            var session = yaml.At("Session", ignoreCase: true);
            string Setting(string key, string fallback) => session.Text(key, ignoreCase: true) ?? fallback;

            var logins = ((YamlMappingNode)yaml.At("ReverseProxy.Routes", ignoreCase: true)!).Children.Values
                .Where(route => route.Text("Metadata.SessionLogin", ignoreCase: true) == "true")
                .Select(route => route.Text("Match.Path", ignoreCase: true)!);
            var claims = (session.At("Headers.Claims", ignoreCase: true) as YamlMappingNode)?.Children.Values.Select(v => ((YamlScalarNode)v).Value!) ?? [];
            var strip = (session.At("Headers.Strip", ignoreCase: true) as YamlSequenceNode)?.Children.Select(v => ((YamlScalarNode)v).Value!) ?? [];
            string[] identity = [Setting("Headers.UserId", "X-User-Id"), Setting("Headers.SessionHandle", "X-Session-Handle"), .. claims, Setting("Assertion.Header", "X-Session-Assertion")];
            return new ShippedGateway(
                session.Text("ForwardAuth.Path", ignoreCase: true)!,
                [Setting("RefreshPath", "/api/refresh"), Setting("SignOutPath", "/api/signout"), Setting("JwksPath", "/.well-known/jwks.json"), Setting("SessionsPath", "/api/sessions"), .. logins],
                Setting("SessionsPath", "/api/sessions").TrimEnd('/') + "/",
                [.. identity, "Cookie", "Authorization"],
                [.. identity, .. TokenHeaders, .. strip],
                Setting("Headers.ReservedPrefix", "X-Session-"),
                new Uri(yaml.Text("Urls", ignoreCase: true)!).Port);
        }
    }
}
