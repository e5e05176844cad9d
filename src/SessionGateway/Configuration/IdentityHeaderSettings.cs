namespace SessionGateway.Configuration;

/// <summary>
/// Names of the headers that carry identity to upstreams. Every one of them, and every header that starts with
/// <see cref="ReservedPrefix"/>, is removed from client requests in any spelling (case, <c>_</c> for <c>-</c>).
/// </summary>
internal sealed record IdentityHeaderSettings
{
    public string UserId { get; set; } = "X-User-Id";

    public string SessionHandle { get; set; } = "X-Session-Handle";

    /// <summary>Every request header with this prefix belongs to the gateway. Empty turns the prefix rule off.</summary>
    public string ReservedPrefix { get; set; } = "X-Session-";

    /// <summary>Session claim name to the header that carries it upstream (for example <c>role: X-User-Role</c>).</summary>
    public IReadOnlyDictionary<string, string> Claims { get; set; } = new Dictionary<string, string>();

    /// <summary>More header names the gateway owns and strips, beyond the ones above.</summary>
    public IReadOnlyList<string> Strip { get; set; } = [];
}
