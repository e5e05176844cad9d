using Npgsql;

namespace SessionGateway.Testing;

/// <summary>
/// The throwaway PostgreSQL server that <c>tests/run-all.sh</c> starts (its connection string in
/// <c>SESSIONGATEWAY_TEST_POSTGRES</c>). Without it, PostgreSQL tests are skipped with that reason; CI always has it.
/// Each test gets a schema of its own, dropped afterwards, so tests run in parallel on one server.
/// </summary>
internal static class PostgresTestServer
{
    public const string ConnectionVariable = "SESSIONGATEWAY_TEST_POSTGRES";
    public const string ScriptVariable = "SESSIONGATEWAY_TEST_PGSCRIPT";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value ? value : null;

    /// <summary>Skips the calling test (it must be a SkippableFact/Theory) when no server was provided.</summary>
    public static string RequireConnectionString()
    {
        Skip.If(ConnectionString is null, $"no PostgreSQL server: set {ConnectionVariable}, or run bash tests/run-all.sh, which starts one");
        return ConnectionString!;
    }

    /// <summary>Creates an empty schema and returns a connection string whose search path is that schema.</summary>
    public static async Task<string> CreateSchemaAsync(string prefix = "t")
    {
        var server = RequireConnectionString();
        var schema = prefix + "_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Drops the schema a <see cref="CreateSchemaAsync"/> connection string points at.</summary>
    public static void DropSchema(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var schema = builder.SearchPath;
        builder.SearchPath = null;
        builder.Pooling = false;
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        command.ExecuteNonQuery();
    }
}
