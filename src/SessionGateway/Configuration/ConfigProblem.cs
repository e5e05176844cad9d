namespace SessionGateway.Configuration;

/// <summary>One thing wrong with the configuration, tied to the key (and, when known, the place in the file).</summary>
internal sealed record ConfigProblem(string Key, string Message, ConfigLocation? Location = null)
{
    public ConfigProblem WithLocation(ConfigLocation? location) => Location is null ? this with { Location = location } : this;

    public override string ToString()
    {
        var where = Location is { } l ? $"{l.File}:{l.Line}:{l.Column}: " : "";
        var key = Key.Length == 0 ? "" : $"{Key}: ";
        return where + key + Message;
    }
}
