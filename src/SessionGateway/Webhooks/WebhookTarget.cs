namespace SessionGateway.Webhooks;

/// <summary>
/// The receiver in force (from <c>Session:Webhooks</c>, read at start): where to POST, the signing key, how long an
/// attempt may take and how long a webhook is retried. A class, not a record: nothing may print the key.
/// </summary>
internal sealed class WebhookTarget(Uri url, byte[] key, TimeSpan timeout, TimeSpan retryFor)
{
    public Uri Url { get; } = url;

    public ReadOnlyMemory<byte> Key { get; } = key;

    public TimeSpan Timeout { get; } = timeout;

    public TimeSpan RetryFor { get; } = retryFor;

    /// <summary>The secret file and its mode when group or other users can read it (warned at start).</summary>
    public (string Path, string Mode)? ExposedSecretFile { get; init; }
}
