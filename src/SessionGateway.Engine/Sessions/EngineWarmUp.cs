using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace SessionGateway.Sessions;

/// <summary>
/// Pays the first-use costs of the session engine's start on the second core while the host is being built, when that
/// core has nothing else to do: SQLite's native library, its P/Invoke stubs and connection-string parser (about 25 ms
/// the first time), OpenSSL's AES-GCM and a P-256 key import and signature (about 20 ms). The engine's own start
/// (open the store, decrypt the secret and the signing keys) then finds them done, and stops being the longer of
/// the two paths a start waits for (docs/benchmarks.md, "Start to first answer").
/// </summary>
/// <remarks>
/// Touches nothing of the gateway's: an in-memory database and a throwaway key. Whatever fails here fails again, and
/// is reported, when the engine starts for real, so a failure here is ignored.
/// </remarks>
internal static class EngineWarmUp
{
    /// <summary>Starts the warm-up on the thread pool; <paramref name="sqlite"/>: the store is (most likely) SQLite.</summary>
    public static Task Begin(bool sqlite) => Task.Run(() => Run(sqlite));

    private static void Run(bool sqlite)
    {
        try
        {
            if (sqlite)
            {
                using var connection = new SqliteConnection("Data Source=:memory:");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                command.ExecuteScalar();
            }

            Span<byte> key = stackalloc byte[32];
            RandomNumberGenerator.Fill(key);
            using (var aes = new AesGcm(key, 16))
            {
                Span<byte> tag = stackalloc byte[16];
                Span<byte> ciphertext = stackalloc byte[32];
                aes.Encrypt(stackalloc byte[12], key, ciphertext, tag);
            }

            using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var imported = ECDsa.Create();
            imported.ImportPkcs8PrivateKey(generated.ExportPkcs8PrivateKey(), out _);
            imported.SignData(key, HashAlgorithmName.SHA256);
        }
        catch (Exception exception) when (exception is SqliteException or CryptographicException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            // Reported by the engine's own start, which does the same work for real.
        }
    }
}
