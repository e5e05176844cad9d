using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// <c>Session:Login:Form</c> and the <c>SessionLogin: "form"</c> metadata: other fields and success answers, the
/// login rate limit, and configurations the gateway refuses to start with.
/// </summary>
public sealed class FormLoginSettingsTests
{
    private const string FormRoute = """
            app-login:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Metadata:
                SessionLogin: "form"
              Match:
                Path: /app/login
        """;

    [Fact]
    public async Task FormLogin_OtherFieldAndSuccessAnswer_FollowTheSettings()
    {
        // An app that answers 200 with its welcome page on success and 302 to /signin-denied on failure.
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = "  Login:\n    Form:\n      UserField: j_username\n      SuccessStatus: [200, 302]\n      FailureLocation: denied",
            ExtraRoutesYaml = FormRoute,
        });
        harness.Upstream.Given(Request.Create().WithPath("/app/login").UsingPost().WithBody((byte[]? b) => b is not null && Encoding.ASCII.GetString(b).Contains("bob", StringComparison.Ordinal)))
            .AtPriority(0).RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/signin-denied"));
        harness.Upstream.Given(Request.Create().WithPath("/app/login").UsingPost())
            .AtPriority(1).RespondWith(Response.Create().WithStatusCode(200).WithBody("welcome"));

        using var carol = await PostAsync(harness, "j_username=carol&j_password=x&username=mallory");
        using var bob = await PostAsync(harness, "j_username=bob&j_password=x");

        Assert.Equal(HttpStatusCode.OK, carol.StatusCode);
        Assert.Equal("carol", FrontToken.Decode(Wire.Header(carol, "front-token")!).Uid);
        Assert.Equal(HttpStatusCode.Found, bob.StatusCode);
        Wire.AssertSessionUntouched(bob);
    }

    [Fact]
    public async Task FormLogin_OverTheLoginLimit_Is429AndNotForwarded()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = "  RateLimits:\n    Login:\n      PermitLimit: 2\n      Window: 1m",
            ExtraRoutesYaml = FormRoute,
        });
        harness.MapResponse("/app/login", 302, "", ("Location", "/app/login?error"));

        for (var i = 0; i < 2; i++)
        {
            using var allowed = await PostAsync(harness, "username=alice&password=guess" + i);
            Assert.Equal(HttpStatusCode.Found, allowed.StatusCode);
        }

        using var limited = await PostAsync(harness, "username=alice&password=guess3");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(2, harness.UpstreamRequests("/app/login").Count);
    }

    [Theory]
    [InlineData("  Login:\n    Form:\n      FailureLocation: \"(error\"", "Session:Login:Form:FailureLocation")]
    [InlineData("  Login:\n    Form:\n      SuccessStatus: [302, 401]", "Session:Login:Form:SuccessStatus:1")]
    public async Task FormLogin_BadSettings_GatewayDoesNotStartAndNamesTheKey(string yaml, string key)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = yaml,
            ExtraRoutesYaml = FormRoute,
        }));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionLogin_UnknownValue_GatewayDoesNotStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraRoutesYaml = FormRoute.Replace("\"form\"", "\"forms\"", StringComparison.Ordinal),
        }));

        Assert.Contains("SessionLogin must be \"true\", \"false\" or \"form\", not 'forms'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PostAsync(SessionHarness harness, string body)
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return await harness.Http.PostAsync("/app/login", content);
    }
}
