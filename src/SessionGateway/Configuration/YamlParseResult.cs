namespace SessionGateway.Configuration;

/// <summary>Either a document or the problems that kept the text from being one.</summary>
internal sealed record YamlParseResult(YamlDocument? Document, IReadOnlyList<ConfigProblem> Problems);
