namespace SessionGateway.Tokens;

/// <summary>A freshly signed session assertion and the times in its payload (whole seconds).</summary>
internal sealed record MintedAssertion(string Token, DateTimeOffset IssuedAt, DateTimeOffset Expires)
{
    // Records print every property; an assertion is a bearer credential for its lifetime and must never reach a log.
    public override string ToString() => $"MintedAssertion {{ IssuedAt = {IssuedAt:O}, Expires = {Expires:O} }}";
}
