namespace SessionGateway.ForwardAuth;

/// <summary>How a proxy described the original request to the decision endpoint, which decides how refusals are answered.</summary>
internal enum ForwardAuthShape
{
    /// <summary><c>X-Original-URL</c> or <c>X-Original-URI</c> (nginx, ingress-nginx): refusals are 401 carrying the real status.</summary>
    Nginx,

    /// <summary><c>X-Forwarded-Uri</c> and its companions (Traefik, Caddy): answers as in proxy mode.</summary>
    Forwarded,

    /// <summary>The request itself under the decision path (Envoy's HTTP <c>ext_authz</c> with a path prefix).</summary>
    Direct,
}
