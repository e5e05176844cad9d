namespace SessionGateway.Tests.Engine.Keys;

public sealed class SqliteKeyRotationTests : KeyRotationTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;
}
