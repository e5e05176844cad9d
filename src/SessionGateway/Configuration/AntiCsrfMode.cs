namespace SessionGateway.Configuration;

/// <summary>How cookie-mode requests prove they are not cross-site forgeries (protocol.md, Anti-CSRF).</summary>
internal enum AntiCsrfMode
{
    None,
    CustomHeader,
    Token,
}
