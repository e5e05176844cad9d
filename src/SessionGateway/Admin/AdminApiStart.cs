namespace SessionGateway.Admin;

/// <summary>
/// Registered only when an admin key is configured (and usable): what the management listener needs to serve the
/// admin API, and to warn at start about how the key is kept.
/// </summary>
/// <param name="InlineKey">The key is written inline (<c>Session:Admin:ApiKey</c>) rather than read from a file.</param>
/// <param name="ExposedKeyFile">The key file and its mode when group or other users can read it.</param>
internal sealed record AdminApiStart(bool InlineKey, (string Path, string Mode)? ExposedKeyFile);
