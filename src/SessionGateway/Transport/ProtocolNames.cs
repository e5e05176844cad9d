namespace SessionGateway.Transport;

/// <summary>Cookie and header names of the session protocol, fixed by the SuperTokens frontend SDKs.</summary>
internal static class ProtocolNames
{
    public const string AccessTokenCookie = "sAccessToken";
    public const string RefreshTokenCookie = "sRefreshToken";
    public const string AccessTokenHeader = "st-access-token";
    public const string RefreshTokenHeader = "st-refresh-token";
    public const string FrontTokenHeader = "front-token";
    public const string AntiCsrfHeader = "anti-csrf";
    public const string AuthModeHeader = "st-auth-mode";
    public const string RidHeader = "rid";
    public const string FdiVersionHeader = "fdi-version";

    /// <summary>What a browser on another origin may read from our responses; never <c>*</c>.</summary>
    public const string ExposedHeaders = "front-token, anti-csrf, st-access-token, st-refresh-token";
}
