namespace SessionGateway.Tests.Engine.Keys;

public sealed class PostgresSecretsAtRestTests : SecretsAtRestTests
{
    private protected override TestBackend Backend => TestBackend.Postgres;
}
