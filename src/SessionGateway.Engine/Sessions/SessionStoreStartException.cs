namespace SessionGateway.Sessions;

/// <summary>
/// The store could not be opened or migrated at start. The message names the configuration key and where the
/// store points (never a password), so the host can print it as one line and exit with the configuration code.
/// </summary>
internal sealed class SessionStoreStartException(string message, Exception innerException) : Exception(message, innerException);
