namespace SessionGateway.Requests;

/// <summary>
/// What the path rules made of a request path: unchanged (both null), normalised to <see cref="Path"/>, or refused
/// for <see cref="Refusal"/>.
/// </summary>
internal readonly record struct PathVerdict(string? Path, PathRefusal? Refusal)
{
    public static PathVerdict Unchanged => default;

    public static PathVerdict Normalised(string path) => new(path, null);

    public static PathVerdict Refused(PathRefusal refusal) => new(null, refusal);
}
