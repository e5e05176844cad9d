using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests;

/// <summary>The gateway process with <c>Logging:Console:FormatterName: json</c>: one JSON object per line, session events (a theft among them, logged once) as fields, no tokens.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task JsonConsoleLogs_ParseLineByLine_CarrySessionFieldsAndNoToken_TheftOnce()
    {
        using var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{Upstream.FreePort()}"] });
        upstream.Given(Request.Create().WithPath("/login/alice").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("X-Session-Create", "alice"));
        upstream.Given(Request.Create().WithPath("/login/bob").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("X-Session-Create", "bob"));
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000).RespondWith(Response.Create().WithStatusCode(200));
        var directory = Directory.CreateTempSubdirectory("sg-json-").FullName;
        var config = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(config, $$"""
            Logging:
              LogLevel:
                Default: Information
              Console:
                FormatterName: json
                FormatterOptions:
                  IncludeScopes: true
                  TimestampFormat: "yyyy-MM-ddTHH:mm:ss.fffZ"
                  UseUtcTimestamp: true
            Session:
              AccessTokenLifetime: 1m
            {{Upstream.LoginAndApiYaml(upstream.Url!)}}
            """);

        await using var gateway = await GatewayProcess.StartAsync("json", config);
        var alice = new SessionClient(gateway.Client, TokenMode.Header);
        Assert.Equal(HttpStatusCode.OK, (await alice.LoginAsync("/login/alice")).StatusCode);
        var tokens = new List<string> { alice.AccessToken!, alice.RefreshToken! };
        var stolen = alice.RefreshToken!;
        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync()).StatusCode);
        tokens.AddRange([alice.AccessToken!, alice.RefreshToken!]);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/app")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.SignOutAsync()).StatusCode);

        // Theft: bob's refresh token two generations old (theft even within the grace period).
        var bob = new SessionClient(gateway.Client, TokenMode.Header);
        Assert.Equal(HttpStatusCode.OK, (await bob.LoginAsync("/login/bob")).StatusCode);
        var bobsFirst = bob.RefreshToken!;
        tokens.AddRange([bob.AccessToken!, bobsFirst]);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await bob.RefreshAsync()).StatusCode);
            tokens.AddRange([bob.AccessToken!, bob.RefreshToken!]);
        }

        Assert.Equal(440, (int)(await new SessionClient(gateway.Client, TokenMode.Header).RefreshAsync(bobsFirst)).StatusCode);
        Assert.Equal(0, await gateway.StopAsync());

        var lines = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("--- ", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(lines);
        var entries = lines.Select(line =>
        {
            Assert.False(line.StartsWith("err: ", StringComparison.Ordinal), "stderr: " + line);
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }).ToList();

        static string? UserOf(JsonElement entry) =>
            entry.GetProperty("State").TryGetProperty("UserId", out var user) ? user.GetString() : null;
        var created = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 1000 && UserOf(e) == "alice");
        var handle = created.GetProperty("State").GetProperty("SessionHandle").GetString();
        Assert.False(string.IsNullOrEmpty(handle));
        var signedOut = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 1005 && UserOf(e) == "alice");
        Assert.Equal(handle, signedOut.GetProperty("State").GetProperty("SessionHandle").GetString());
        Assert.Equal("signed-out", signedOut.GetProperty("State").GetProperty("Reason").GetString());
        // The theft: one line (not one per layer), with the user and the session as fields.
        var theft = Assert.Single(entries, e => e.GetProperty("Message").GetString()!.Contains("theft", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(1001, theft.GetProperty("EventId").GetInt32());
        Assert.Equal("Warning", theft.GetProperty("LogLevel").GetString());
        Assert.Equal("bob", theft.GetProperty("State").GetProperty("UserId").GetString());
        var bobsHandle = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 1000 && UserOf(e) == "bob").GetProperty("State").GetProperty("SessionHandle").GetString();
        Assert.Equal(bobsHandle, theft.GetProperty("State").GetProperty("SessionHandle").GetString());
        foreach (var line in lines)
        {
            Assert.DoesNotContain(tokens, token => line.Contains(token, StringComparison.Ordinal));
            Assert.DoesNotContain(stolen, line, StringComparison.Ordinal);
        }
    }
}
