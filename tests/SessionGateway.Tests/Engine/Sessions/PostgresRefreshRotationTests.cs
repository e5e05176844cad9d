namespace SessionGateway.Tests.Engine.Sessions;

public sealed class PostgresRefreshRotationTests : RefreshRotationTests
{
    private protected override TestBackend Backend => TestBackend.Postgres;
}
