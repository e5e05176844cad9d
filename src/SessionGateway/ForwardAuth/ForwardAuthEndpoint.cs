using SessionGateway.Configuration;

namespace SessionGateway.ForwardAuth;

/// <summary>The decision path and the trusted proxies, as configured at start (<c>Session:ForwardAuth</c>).</summary>
internal sealed class ForwardAuthEndpoint
{
    private readonly PathString _path;

    public ForwardAuthEndpoint(ForwardAuthSettings settings)
    {
        _path = new PathString(settings.Path!.TrimEnd('/'));
        if (!TrustedProxies.TryParse(settings.EffectiveTrustedProxies, out var proxies, out var invalid))
        {
            // The validator names the key first; this is only reached by a build that skipped it.
            throw new InvalidOperationException($"Session:ForwardAuth:TrustedProxies: '{invalid}' is not an address or CIDR range.");
        }

        Proxies = proxies;
    }

    public TrustedProxies Proxies { get; }

    /// <summary>True for the decision path itself and anything under it (<paramref name="rest"/>: what is under it).</summary>
    public bool IsDecisionPath(PathString path, out PathString rest) =>
        path.StartsWithSegments(_path, StringComparison.OrdinalIgnoreCase, out rest);

    /// <summary>True when the request line (before Kestrel resolved its dot segments) was under the decision path.</summary>
    public bool RawTargetIsUnderDecisionPath(string? rawTarget) =>
        rawTarget is not null && rawTarget.Length > _path.Value!.Length &&
        rawTarget.StartsWith(_path.Value, StringComparison.OrdinalIgnoreCase) && rawTarget[_path.Value.Length] == '/';
}
