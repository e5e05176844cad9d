namespace SessionGateway.Tests.Engine.Sessions;

public sealed class PostgresRevocationTests : RevocationTests
{
    private protected override TestBackend Backend => TestBackend.Postgres;
}
