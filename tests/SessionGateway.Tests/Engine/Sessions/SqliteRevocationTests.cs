namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SqliteRevocationTests : RevocationTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;
}
