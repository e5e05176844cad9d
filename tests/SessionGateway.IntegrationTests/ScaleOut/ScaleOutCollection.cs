namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>
/// The scale-out tests run one after another: each starts several gateway processes (and some a PostgreSQL
/// server), and on a 2-core machine a handful of them at once would starve each other and blur the sub-second
/// timings these tests measure. They still run in parallel with the in-process test classes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ScaleOutCollection
{
    public const string Name = "scale-out (gateway processes)";
}
