namespace SessionGateway.Authentication;

/// <summary>Claim types of the principal built from an access token (the token's own claim names).</summary>
internal static class SessionClaimTypes
{
    public const string UserId = "sub";
    public const string SessionHandle = "sessionHandle";
}
