namespace SessionGateway.Tests.Engine.Keys;

public sealed class SqliteSecretsAtRestTests : SecretsAtRestTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;
}
