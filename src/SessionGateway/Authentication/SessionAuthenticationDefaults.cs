namespace SessionGateway.Authentication;

/// <summary>Names of the session authentication scheme.</summary>
internal static class SessionAuthenticationDefaults
{
    public const string AuthenticationScheme = "Session";
}
