namespace SessionGateway.Tests.Engine.Sessions;

public sealed class PostgresSessionManagementTests : SessionManagementTests
{
    private protected override TestBackend Backend => TestBackend.Postgres;
}
