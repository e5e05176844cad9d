namespace SessionGateway.Tokens;

/// <summary>A freshly signed access token and its payload text (for the <c>front-token</c> header).</summary>
internal sealed record MintedAccessToken(string Token, string PayloadJson, DateTimeOffset Expires)
{
    // Records print every property; a token must never reach a log through ToString.
    public override string ToString() => $"MintedAccessToken {{ Expires = {Expires:O} }}";
}
