namespace SessionGateway.Keys;

/// <summary>An immutable view of the key set, swapped whole on reload so readers never lock.</summary>
internal sealed record KeyRingSnapshot(
    IReadOnlyDictionary<string, SigningKey> ByKeyId,
    IReadOnlyList<SigningKey> OrderedBySignsFrom,
    string JwksJson)
{
    public static KeyRingSnapshot Empty { get; } = new(new Dictionary<string, SigningKey>(), [], """{"keys":[]}""");
}
