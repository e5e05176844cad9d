namespace SessionGateway.Management;

/// <summary>What <c>/readyz</c> answers.</summary>
internal enum Readiness
{
    Ready,

    /// <summary>The host has not finished starting (store opened, keys loaded, listeners up).</summary>
    Starting,

    /// <summary>Shutting down: still serving during the drain delay, but no new traffic should come.</summary>
    Draining,

    /// <summary>
    /// The signing keys cannot serve: the last reload met a key this replica cannot decrypt (stored by another replica
    /// under a key-encryption key this one lacks), or no loaded key signs now.
    /// </summary>
    SigningKeys,

    /// <summary>The session store did not answer a cheap read in time.</summary>
    StoreUnavailable,
}
