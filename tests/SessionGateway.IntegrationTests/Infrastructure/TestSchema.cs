using Npgsql;
using SessionGateway.Testing;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh schema on the shared test server, for a test that leaves the server running; dropped on dispose. Skips
/// the calling test (a SkippableFact) when no server is provided.
/// </summary>
internal sealed class TestSchema : IAsyncDisposable
{
    private TestSchema(string connectionString) => ConnectionString = connectionString;

    /// <summary>A connection string whose search path is the schema.</summary>
    public string ConnectionString { get; }

    public static async Task<TestSchema> CreateAsync() => new(await PostgresTestServer.CreateSchemaAsync("scaleout"));

    public ValueTask DisposeAsync()
    {
        try
        {
            PostgresTestServer.DropSchema(ConnectionString);
        }
        catch (NpgsqlException)
        {
            // A leftover schema harms no other test; an exception here would hide the test's own failure.
        }

        return ValueTask.CompletedTask;
    }
}
