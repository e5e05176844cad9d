namespace SessionGateway.Keys;

/// <summary>
/// A secret in the store cannot be read with the configured key-encryption keys (none configured, another key, or
/// an altered value). The message is one line naming the setting and the value (a key id or secret name, never key
/// material): at start the host prints it and exits with the configuration code; later the key ring keeps its last
/// good set and logs it.
/// </summary>
internal sealed class KeyEncryptionException(string message) : Exception(message)
{
    /// <summary>The message for <paramref name="value"/> of <paramref name="what"/> (for example "signing key abc").</summary>
    public static KeyEncryptionException For(string what, OpenedValue value, KeyEncryption keyEncryption) => new(value.State switch
    {
        SealState.Clear =>
            $"Session:KeyEncryption: the {what} in the session store is in clear, but a key-encryption key (id {keyEncryption.CurrentKeyId}) is configured: refused, since anyone able to write the store could have put it there. If the store was written before the key-encryption key was configured, start once with Session:KeyEncryption:MigrateClearValues: true, then remove it.",
        SealState.NoKey =>
            $"Session:KeyEncryption: the {what} in the session store is encrypted (key-encryption key id {value.KeyId}), but no key-encryption key is configured; set Session:KeyEncryption:KeyFile or Session:KeyEncryption:Key.",
        SealState.UnknownKey =>
            $"Session:KeyEncryption: the {what} in the session store is encrypted with key-encryption key id {value.KeyId}, which is not the configured key (id {keyEncryption.CurrentKeyId}) nor one of Session:KeyEncryption:PreviousKeys.",
        _ =>
            $"Session:KeyEncryption: the {what} in the session store does not decrypt with key-encryption key id {value.KeyId}: it was altered or copied from another row.",
    });
}
