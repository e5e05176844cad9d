using SessionGateway.Configuration;

namespace SessionGateway.Hosting;

/// <summary>A built gateway ready to run, or the configuration problems that stopped it.</summary>
internal sealed record GatewayBuild(WebApplication? App, ProxyYamlFile? ConfigFile, IReadOnlyList<ConfigProblem> Problems);
