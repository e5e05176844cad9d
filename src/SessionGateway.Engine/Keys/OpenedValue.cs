namespace SessionGateway.Keys;

/// <summary>
/// A stored secret as read: <see cref="Plaintext"/> when <see cref="State"/> is <see cref="SealState.Clear"/>,
/// <see cref="SealState.Current"/> or <see cref="SealState.Previous"/>, else null. <see cref="KeyId"/> names the
/// key-encryption key a sealed value says it was sealed with (hex), for messages.
/// </summary>
internal readonly record struct OpenedValue(SealState State, byte[]? Plaintext, string KeyId)
{
    public bool IsReadable => Plaintext is not null;

    // The plaintext is a private key or a secret: never printed.
    public override string ToString() => $"OpenedValue {{ State = {State}, KeyId = {KeyId} }}";
}
