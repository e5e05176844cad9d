namespace SessionGateway.Keys;

/// <summary>What <see cref="KeyEncryption.Open"/> found in a stored value.</summary>
internal enum SealState
{
    /// <summary>Stored in clear (written without a key-encryption key, or before encryption existed).</summary>
    Clear,

    /// <summary>Sealed with the current key-encryption key.</summary>
    Current,

    /// <summary>Sealed with a previous key-encryption key: readable, to be re-sealed with the current one.</summary>
    Previous,

    /// <summary>Sealed, but no key-encryption key is configured.</summary>
    NoKey,

    /// <summary>Sealed with a key-encryption key that is not configured (neither current nor previous).</summary>
    UnknownKey,

    /// <summary>Sealed with a configured key but does not authenticate: altered, or copied from another row.</summary>
    Corrupt,
}
