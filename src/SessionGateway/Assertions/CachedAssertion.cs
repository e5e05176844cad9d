namespace SessionGateway.Assertions;

/// <summary>One minted assertion of a token: its audience, the assertion, and when it is to be replaced.</summary>
internal sealed record CachedAssertion(string Audience, string Token, DateTimeOffset RenewAt)
{
    // The assertion is a bearer credential for its lifetime: never printed.
    public override string ToString() => $"CachedAssertion {{ Audience = {Audience}, RenewAt = {RenewAt:O} }}";
}
