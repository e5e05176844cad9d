using System.Text;

namespace SessionGateway.Sessions;

/// <summary>
/// Tokens handed to a client on login or refresh. <see cref="AccessTokenPayloadJson"/> is the whole access
/// token payload, ready for the <c>front-token</c> header. ToString never prints token values.
/// </summary>
internal sealed record IssuedSession(
    string SessionHandle,
    string UserId,
    string AccessToken,
    string AccessTokenPayloadJson,
    DateTimeOffset AccessTokenExpires,
    string RefreshToken,
    DateTimeOffset RefreshTokenExpires,
    string? AntiCsrfToken)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("SessionHandle = ").Append(SessionHandle)
            .Append(", UserId = ").Append(UserId)
            .Append(", AccessTokenExpires = ").Append(AccessTokenExpires.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", RefreshTokenExpires = ").Append(RefreshTokenExpires.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }
}
