using SessionGateway.Tokens;

namespace SessionGateway.Authentication;

/// <summary>
/// What authentication learnt about the request's session, for the forwarding transforms: the verified token
/// (when valid) and whether the <c>Authorization</c> header carried one of our tokens (so it is not forwarded).
/// </summary>
internal sealed record SessionFeature(VerifiedAccessToken? Token, bool BearerIsOurs);
