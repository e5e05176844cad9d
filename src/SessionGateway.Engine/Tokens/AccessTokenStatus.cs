namespace SessionGateway.Tokens;

/// <summary>Outcome of a local access-token check. Both failures mean "try refresh" to a client.</summary>
internal enum AccessTokenStatus
{
    Valid,
    Expired,
    Invalid,
}
