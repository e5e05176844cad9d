namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SqliteRefreshRotationTests : RefreshRotationTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;
}
