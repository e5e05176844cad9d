namespace SessionGateway.Tests.Engine.Storage;

/// <summary>
/// Tests that hold a PostgreSQL transaction open on purpose: the audit trail's cut (the snapshot's xmin) is
/// cluster-wide, so such a transaction holds back every other test's event listing on the shared server. They run
/// alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterWideCollection
{
    public const string Name = "PostgreSQL cluster-wide";
}
