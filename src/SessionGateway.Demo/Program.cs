using SessionGateway.Demo;
using SessionGateway.Hosting;

// The demo: a legacy app that knows nothing about sessions on 127.0.0.1:5080, and the gateway in front of it
// on the committed proxy.yaml. Both live in this one process, so Ctrl+C leaves nothing running.
var gatewayArgs = GatewayArguments.Parse(args);
var configPath = args.Any(a => a.StartsWith("--config", StringComparison.Ordinal))
    ? gatewayArgs.ConfigPath
    : DemoPaths.FindProxyYaml();

var upstreamUrl = DemoPaths.UpstreamUrl;
await using var upstream = LegacyApp.Build(upstreamUrl);
await upstream.StartAsync();
var usersFile = DemoUsers.WriteFile();
Console.WriteLine($"Demo legacy app listening on {upstreamUrl} (behind the gateway)");
Console.WriteLine($"Gateway configuration: {configPath} (access tokens shortened to 20 s for the demo)");
Console.WriteLine($"Users file: {usersFile} (user '{DemoUsers.User}', password '{DemoUsers.Password}')");
Console.WriteLine($"Open http://127.0.0.1:8080 and sign in with any name, or at http://127.0.0.1:8080/api/signin as {DemoUsers.User} / {DemoUsers.Password}.");
try
{
    // A 20-second access token, so a visitor sees expiry and the transparent refresh within a minute. The users
    // file comes on the command line, so the committed proxy.yaml names no file with a published password.
    return await GatewayHost.RunAsync(
        ["--config", configPath, "--Session:AccessTokenLifetime", "20s", "--Session:Login:UsersFile", usersFile, .. gatewayArgs.Rest],
        Console.Error);
}
finally
{
    await upstream.StopAsync();
    DemoUsers.Delete(usersFile);
}
