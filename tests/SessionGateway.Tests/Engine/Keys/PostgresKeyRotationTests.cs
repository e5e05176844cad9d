namespace SessionGateway.Tests.Engine.Keys;

public sealed class PostgresKeyRotationTests : KeyRotationTests
{
    private protected override TestBackend Backend => TestBackend.Postgres;
}
