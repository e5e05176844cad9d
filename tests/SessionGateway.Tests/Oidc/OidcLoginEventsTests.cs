using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using SessionGateway.Oidc;
using SessionGateway.Proxy;

namespace SessionGateway.Tests.Oidc;

public sealed class OidcLoginEventsTests
{
    [Fact]
    public void Classify_StateMissing_IsA400Mismatch()
    {
        // The message the OpenID Connect handler fails with for a callback without state.
        var (status, _, kind) = OidcLoginEvents.Classify(new AuthenticationFailureException("OpenIdConnectAuthenticationHandler: message.State is null or empty."));

        Assert.Equal(400, status);
        Assert.Equal("state or correlation mismatch", kind);
    }

    [Fact]
    public void MappedClaims_200Groups_AreTooLarge()
    {
        var groups = JsonSerializer.SerializeToElement(Enumerable.Range(0, 200).Select(i => $"group-{i:D3}-of-the-company").ToArray());

        Assert.True(OidcLoginEvents.MappedClaimsTooLarge(new Dictionary<string, JsonElement> { ["role"] = groups }));
    }

    [Fact]
    public void MappedClaims_AtTheHeaderLoginCap_AreAccepted()
    {
        // {"r":"xxx…"} is 8 characters plus the value: exactly MaxClaimsLength.
        var value = JsonSerializer.SerializeToElement(new string('x', SessionLoginTransform.MaxClaimsLength - 8));
        var claims = new Dictionary<string, JsonElement> { ["r"] = value };

        Assert.False(OidcLoginEvents.MappedClaimsTooLarge(claims));
        Assert.True(OidcLoginEvents.MappedClaimsTooLarge(new Dictionary<string, JsonElement> { ["r"] = value, ["s"] = JsonSerializer.SerializeToElement(1) }));
    }

    [Fact]
    public void SessionClaims_AlwaysNameTheProvider_BesideTheMappedClaims()
    {
        var settings = new SessionGateway.Configuration.OidcProviderSettings { Claims = new Dictionary<string, string> { ["groups"] = "role" } };
        var received = new Dictionary<string, JsonElement>
        {
            ["sub"] = JsonSerializer.SerializeToElement("u1"),
            ["groups"] = JsonSerializer.SerializeToElement(new[] { "admin" }),
            ["idp"] = JsonSerializer.SerializeToElement("forged-by-the-provider"),
        };

        var claims = OidcLoginEvents.SessionClaims("google", settings, received);

        Assert.Equal("""{"idp":"google","role":["admin"]}""", JsonSerializer.Serialize(claims));
    }
}
