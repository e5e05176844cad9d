using System.Diagnostics.CodeAnalysis;

namespace SessionGateway.Tokens;

/// <summary>Result of <c>SessionEngine.VerifyAccessToken</c>; a value, so the hot path allocates nothing.</summary>
internal readonly record struct AccessTokenCheck(AccessTokenStatus Status, VerifiedAccessToken? Token)
{
    public static AccessTokenCheck Expired => new(AccessTokenStatus.Expired, null);

    public static AccessTokenCheck Invalid => new(AccessTokenStatus.Invalid, null);

    [MemberNotNullWhen(true, nameof(Token))]
    public bool IsValid => Status == AccessTokenStatus.Valid && Token is not null;
}
