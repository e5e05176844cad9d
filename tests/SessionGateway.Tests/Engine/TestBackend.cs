namespace SessionGateway.Tests.Engine;

/// <summary>The store backends every engine and contract test runs against.</summary>
public enum TestBackend
{
    Sqlite,
    Postgres,
}
