namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SqliteSessionManagementTests : SessionManagementTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;
}
