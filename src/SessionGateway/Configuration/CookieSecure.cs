namespace SessionGateway.Configuration;

/// <summary>When cookies get the <c>Secure</c> attribute.</summary>
internal enum CookieSecure
{
    /// <summary>When the request came over https.</summary>
    Auto,
    Always,
    Never,
}
