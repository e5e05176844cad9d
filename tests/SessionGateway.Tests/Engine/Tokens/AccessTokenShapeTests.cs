using System.Buffers.Text;
using System.Text;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

public sealed class AccessTokenShapeTests
{
    private static string Jwt(string payloadJson) =>
        "eyJhbGciOiJFUzI1NiJ9." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson)) + ".c2ln";

    [Theory]
    [InlineData("""{"sub":"u","sessionHandle":"h","iss":"session-gateway"}""", true)]
    [InlineData("""{"iss":"session-gateway","nested":{"iss":"x"},"sessionHandle":"h","list":[1,2]}""", true)]
    [InlineData("""{"sub":"u","sessionHandle":"h","iss":"someone-else"}""", false)]
    [InlineData("""{"sub":"u","iss":"session-gateway"}""", false)]
    [InlineData("""{"sessionHandle":1,"iss":"session-gateway"}""", false)]
    [InlineData("""["session-gateway"]""", false)]
    [InlineData("""{"iss":"session-gateway","sessionHandle":"h" """, false)]
    public void ClaimsIssuer_ReadsThePayloadWithoutVerifying(string payload, bool expected) =>
        Assert.Equal(expected, AccessTokenShape.ClaimsIssuer(Jwt(payload), "session-gateway"));

    [Theory]
    [InlineData("")]
    [InlineData("no-dots")]
    [InlineData("a..c")]
    [InlineData(".b.c")]
    [InlineData("a.%%%.c")]
    public void ClaimsIssuer_NotAJwt_IsFalse(string token) => Assert.False(AccessTokenShape.ClaimsIssuer(token, "session-gateway"));

    [Fact]
    public void ClaimsIssuer_HugeToken_IsFalse() =>
        Assert.False(AccessTokenShape.ClaimsIssuer(Jwt(new string('x', 64 * 1024)), "session-gateway"));
}
