namespace SessionGateway.Tokens;

/// <summary>Claim names the engine owns; custom claims with these names are dropped, never written.</summary>
internal static class ReservedClaims
{
    public const string Subject = "sub";
    public const string IssuedAt = "iat";
    public const string Expires = "exp";
    public const string NotBefore = "nbf";
    public const string Issuer = "iss";
    public const string SessionHandle = "sessionHandle";
    public const string RefreshTokenHash1 = "refreshTokenHash1";
    public const string ParentRefreshTokenHash1 = "parentRefreshTokenHash1";
    public const string AntiCsrfToken = "antiCsrfToken";

    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        Subject, IssuedAt, Expires, NotBefore, Issuer, SessionHandle, RefreshTokenHash1, ParentRefreshTokenHash1, AntiCsrfToken,
    };

    public static bool IsReserved(string name) => Names.Contains(name);
}
