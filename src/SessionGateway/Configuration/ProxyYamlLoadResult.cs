namespace SessionGateway.Configuration;

/// <summary>The loaded file, or why it could not be loaded.</summary>
internal sealed record ProxyYamlLoadResult(ProxyYamlFile? File, IReadOnlyList<ConfigProblem> Problems);
