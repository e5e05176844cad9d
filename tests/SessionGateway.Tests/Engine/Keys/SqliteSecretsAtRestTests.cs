using System.Security.Cryptography;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine.Keys;

public sealed class SqliteSecretsAtRestTests : SecretsAtRestTests
{
    private protected override TestBackend Backend => TestBackend.Sqlite;

    private static byte[] PrivateScalar(byte[] pkcs8)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return ecdsa.ExportParameters(includePrivateParameters: true).D!;
    }

    [Fact]
    public async Task AfterAMigration_TheFileAndItsLog_NoLongerHoldAClearPrivateKey_AndOldSessionsStillWork()
    {
        var (legacy, issued, clearKeys, clearSecret, _, migrated) = await MigrateAsync(1);
        using var _legacy = legacy;
        using var replica = migrated[0];
        var path = legacy.Database.StoreOptions.ConnectionString;
        Assert.Equal(2, clearKeys.Count); // the current key and the next one, which would verify tokens now

        foreach (var file in new[] { path, path + "-wal" })
        {
            var bytes = File.Exists(file) ? await File.ReadAllBytesAsync(file) : [];
            foreach (var key in clearKeys)
            {
                Assert.True(bytes.AsSpan().IndexOf(PrivateScalar(key.PrivateKey)) < 0, $"{file} still holds the private scalar of {key.KeyId}");
            }

            Assert.True(bytes.AsSpan().IndexOf(clearSecret) < 0, $"{file} still holds the clear refresh-token secret");
        }

        Assert.True(replica.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        Assert.Equal(RefreshOutcomeKind.Success, (await replica.Engine.RefreshAsync(issued.RefreshToken, Ct)).Kind);
    }
}
