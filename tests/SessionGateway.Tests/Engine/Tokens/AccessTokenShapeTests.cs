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

    [Fact]
    public void ClaimsIssuer_FourSegments_IsFalseEvenWhenThePayloadLooksOurs() =>
        Assert.False(AccessTokenShape.ClaimsIssuer(Jwt("""{"sessionHandle":"h","iss":"session-gateway"}""") + ".extra", "session-gateway"));

    [Fact]
    public void ClaimsIssuer_RefreshTokensAndRandomPayloads_AreRefusedWithoutAnException()
    {
        // A header-mode refresh sends the refresh token as a bearer token; a client may send any bearer. Neither may
        // cost an exception per request.
        var thrown = 0;
        var thread = Environment.CurrentManagedThreadId;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                thrown++;
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            var random = new Random(7);
            for (var i = 0; i < 200; i++)
            {
                var bytes = new byte[16 + i];
                random.NextBytes(bytes);
                var segment = Base64Url.EncodeToString(bytes);
                Assert.False(AccessTokenShape.ClaimsIssuer("v1." + segment + "." + segment + "." + segment, "session-gateway"));
                Assert.False(AccessTokenShape.ClaimsIssuer("eyJhbGciOiJFUzI1NiJ9." + segment + ".c2ln", "session-gateway"));
            }
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrown);
    }

    private const string Ours = """{"sub":"u","sessionHandle":"h","iss":"session-gateway"}""";
    private const string Handle = "AAAAAAAAAAAAAAAAAAAAAA";  // 22 characters: 16 bytes base64url
    private const string Part = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    [Theory]
    [InlineData("Bearer {AT}.", true)]
    [InlineData("Bearer x.{AT}", true)]
    [InlineData("Bearer {AT}.x", true)]
    [InlineData("Token token=\"{AT}\", Bearer a.b", true)]
    [InlineData("Bearer v1." + Handle + "." + Part + "." + Part + ".", true)]
    [InlineData("Bearer xv1." + Handle + "." + Part + "." + Part, true)]
    [InlineData("Bearer v1." + Handle, true)]
    [InlineData("Bearer v1.short." + Part + "." + Part, false)]
    [InlineData("Bearer the-apps-own.token.value", false)]
    [InlineData("Bearer {FOREIGN}", false)]
    public void ContainsOurToken_FindsOurShapesWhateverIsJoinedToThem(string text, bool expected)
    {
        var budget = 32;
        var filled = text.Replace("{AT}", Jwt(Ours), StringComparison.Ordinal)
            .Replace("{FOREIGN}", Jwt("""{"sub":"u","iss":"https://idp.example","aud":"app"}"""), StringComparison.Ordinal);

        Assert.Equal(expected, AccessTokenShape.ContainsOurToken(filled, "session-gateway", ref budget));
    }

    [Fact]
    public void ContainsOurToken_StopsAtTheBudgetAndThenCountsAsOurs()
    {
        // 160 foreign JWT-shaped candidates: examining each would be work any client could impose per request.
        var text = string.Join(", ", Enumerable.Repeat("Bearer " + Jwt("""{"sub":"u","iss":"https://idp.example","aud":"app"}"""), 160));
        var budget = 32;

        Assert.True(AccessTokenShape.ContainsOurToken(text, "session-gateway", ref budget));
        Assert.True(budget < 0);
    }

    [Fact]
    public void ContainsOurToken_OneForeignToken_StaysWithinTheBudget()
    {
        var budget = 32;

        Assert.False(AccessTokenShape.ContainsOurToken("Bearer " + Jwt("""{"sub":"u","iss":"https://idp.example","aud":"app"}"""), "session-gateway", ref budget));
        Assert.True(budget >= 30);
    }
}
