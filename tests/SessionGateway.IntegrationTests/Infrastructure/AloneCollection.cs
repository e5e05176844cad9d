namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that run with no other test class at the same time: those asserting what an in-process gateway's
/// tracer provider did not export. That provider listens to every HttpClient of the test process, so another test's
/// call to a <c>/readyz</c> of its own would be exported by it and read as a leak.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone (no other test class at the same time)";
}
