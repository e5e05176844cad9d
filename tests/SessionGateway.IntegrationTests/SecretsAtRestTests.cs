using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// What a copy of the session database is worth: the files are readable by their owner only, and with a
/// key-encryption key the signing keys and the refresh-token secret in them are ciphertext that no gateway can use
/// without that key. Rows are read with a plain SQLite connection, as whoever holds a copy would.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class SecretsAtRestTests : IAsyncLifetime
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    private readonly WireMockServer _upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-at-rest-").FullName;

    public Task InitializeAsync()
    {
        _upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        _upstream.Given(Request.Create().WithPath("/login/alice").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("welcome").WithHeader("X-Session-Create", "alice"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _upstream.Stop();
        _upstream.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private static string NewKek() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private string Yaml(string? databasePath = null) => $$"""
        Session:
          Store:
            ConnectionString: {{databasePath ?? "sessions.db"}}
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.LoginAndApiYaml(_upstream.Url())}}
        """;

    private static async Task<SessionClient> LoginAsync(TestGateway gateway)
    {
        var client = new SessionClient(gateway.Client, TokenMode.Cookie);
        using var response = await client.LoginAsync("/login/alice");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(client.RefreshToken);
        return client;
    }

    private static async Task<(List<byte[]> PrivateKeys, byte[] Secret)> ReadRowsAsync(string databasePath)
    {
        await using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var keys = (await connection.QueryAsync<byte[]>("SELECT private_key FROM signing_keys")).AsList();
        var secret = await connection.QuerySingleAsync<byte[]>("SELECT value FROM secrets WHERE name = 'refresh-token-hmac'");
        return (keys, secret);
    }

    private static bool IsPkcs8PrivateKey(byte[] value)
    {
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(value, out _);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    [Fact]
    public async Task DatabaseFiles_AfterLoginAndRefresh_AreReadableByTheirOwnerOnly_AndNoKekIsWarnedOnce()
    {
        await using var gateway = await TestGateway.StartAsync(Yaml());
        var client = await LoginAsync(gateway);
        using (var refreshed = await client.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        }

        foreach (var file in new[] { gateway.DatabasePath, gateway.DatabasePath + "-wal", gateway.DatabasePath + "-shm" })
        {
            Assert.True(File.Exists(file), file + " missing");
            Assert.True(File.GetUnixFileMode(file) == OwnerOnly, $"{file}: {File.GetUnixFileMode(file)}");
        }

        var warning = Assert.Single(gateway.Logs.Entries, e => e.EventId.Id == 1453);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("IN CLEAR", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAKeyFile_TheStoredSigningKeysAndSecret_AreNotTheKeys()
    {
        var keyFile = Path.Combine(_directory, "kek");
        await File.WriteAllTextAsync(keyFile, NewKek() + "\n");
        await using var gateway = await TestGateway.StartAsync(Yaml(), "--Session:KeyEncryption:KeyFile=" + keyFile);
        var client = await LoginAsync(gateway);

        var (keys, secret) = await ReadRowsAsync(gateway.DatabasePath);

        Assert.Equal(2, keys.Count);
        Assert.All(keys, key => Assert.False(IsPkcs8PrivateKey(key), "a private key is stored in clear"));
        Assert.NotEqual(32, secret.Length);
        Assert.DoesNotContain(gateway.Logs.Entries, e => e.EventId.Id == 1453);
        using var refreshed = await client.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        using var api = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task CopyOfAnEncryptedDatabase_WithoutTheKeyOrWithAnother_StopsTheGatewayWithExitCode2AndOneLine()
    {
        var copyDirectory = Directory.CreateDirectory(Path.Combine(_directory, "copy")).FullName;
        await using (var gateway = await TestGateway.StartAsync(Yaml(), "--Session:KeyEncryption:Key=" + NewKek()))
        {
            await LoginAsync(gateway);
            await using var connection = new SqliteConnection($"Data Source={gateway.DatabasePath};Pooling=False");
            await connection.OpenAsync();
            await connection.ExecuteAsync($"VACUUM INTO '{Path.Combine(copyDirectory, "sessions.db")}'");
        }

        var configPath = Path.Combine(copyDirectory, "proxy.yaml");
        await File.WriteAllTextAsync(configPath, Yaml());

        var withoutKey = await GatewayProcess.RunToExitAsync(configPath, environment: null, ExitWithin);
        var withAnother = await GatewayProcess.RunToExitAsync(
            configPath, new Dictionary<string, string> { ["Session__KeyEncryption__Key"] = NewKek() }, ExitWithin);

        AssertOneLineExit2(withoutKey, "SessionGateway: Session:KeyEncryption: the refresh-token secret in the session store is encrypted", "no key-encryption key is configured");
        AssertOneLineExit2(withAnother, "SessionGateway: Session:KeyEncryption: the refresh-token secret in the session store is encrypted with key-encryption key id", "which is not the configured key");
    }

    private static void AssertOneLineExit2((int ExitCode, string Stdout, string Stderr) run, string start, string says)
    {
        var (exitCode, stdout, stderr) = run;
        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(start, line, StringComparison.Ordinal);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClearDatabase_StartWithAKey_IsRefusedWithExit2_UnlessTheMigrationSwitchIsOn_ThenEncryptedAndSessionsIssuedBeforeKeepWorking()
    {
        var databasePath = Path.Combine(_directory, "shared.db");
        SessionClient client;
        await using (var before = await TestGateway.StartAsync(Yaml(databasePath)))
        {
            client = await LoginAsync(before);
        }

        SqliteConnection.ClearAllPools();
        var (clearKeys, clearSecret) = await ReadRowsAsync(databasePath);
        Assert.All(clearKeys, key => Assert.True(IsPkcs8PrivateKey(key)));
        Assert.Equal(32, clearSecret.Length);
        var keyFile = Path.Combine(_directory, "kek");
        await File.WriteAllTextAsync(keyFile, NewKek());
        File.SetUnixFileMode(keyFile, OwnerOnly);
        var configPath = Path.Combine(_directory, "proxy.yaml");
        await File.WriteAllTextAsync(configPath, Yaml(databasePath));

        // Clear values with a key configured are what an attacker who can write the store would plant: refused.
        var refused = await GatewayProcess.RunToExitAsync(
            configPath, new Dictionary<string, string> { ["Session__KeyEncryption__KeyFile"] = keyFile }, ExitWithin);
        AssertOneLineExit2(refused, "SessionGateway: Session:KeyEncryption: the refresh-token secret in the session store is in clear", "MigrateClearValues");

        await using var after = await TestGateway.StartAsync(
            Yaml(databasePath), "--Session:KeyEncryption:KeyFile=" + keyFile, "--Session:KeyEncryption:MigrateClearValues=true");
        client.Http = after.Client;

        var (keys, secret) = await ReadRowsAsync(databasePath);
        Assert.All(keys, key => Assert.False(IsPkcs8PrivateKey(key), "a private key is still in clear"));
        Assert.NotEqual(32, secret.Length);
        Assert.Contains(after.Logs.Entries, e => e.EventId.Id == 1454);
        Assert.Contains(after.Logs.Entries, e => e.EventId.Id == 1455);
        Assert.Contains(after.Logs.Entries, e => e.EventId.Id == 1457 && e.Level == LogLevel.Warning);
        Assert.Contains(after.Logs.Entries, e => e.EventId.Id == 1458);
        Assert.DoesNotContain(after.Logs.Entries, e => e.EventId.Id == 4005);
        using (var api = await client.GetAsync("/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode); // the access token issued before the migration
        }

        using (var refreshed = await client.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode); // the refresh token issued before the migration
        }

        using var afterRefresh = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, afterRefresh.StatusCode);
    }

    [Fact]
    public async Task KeyFile_ReadableByGroupOrOther_IsWarnedAtStart()
    {
        var keyFile = Path.Combine(_directory, "kek");
        await File.WriteAllTextAsync(keyFile, NewKek());
        File.SetUnixFileMode(keyFile, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var gateway = await TestGateway.StartAsync(Yaml(), "--Session:KeyEncryption:KeyFile=" + keyFile);

        var warning = Assert.Single(gateway.Logs.Entries, e => e.EventId.Id == 4005);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(keyFile + " has mode 0644", warning.Message, StringComparison.Ordinal);
    }
}
