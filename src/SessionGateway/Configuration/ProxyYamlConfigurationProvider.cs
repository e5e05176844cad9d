namespace SessionGateway.Configuration;

/// <summary>
/// Serves the current proxy.yaml document as configuration and signals a reload (YARP, options monitors)
/// only when <see cref="ProxyYamlFile"/> accepted an edit.
/// </summary>
internal sealed class ProxyYamlConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ProxyYamlFile _file;

    public ProxyYamlConfigurationProvider(ProxyYamlFile file)
    {
        _file = file;
        _file.Changed += OnChanged;
    }

    public override void Load() => Data = Copy(_file.Current);

    private void OnChanged(YamlDocument document)
    {
        Data = Copy(document);
        OnReload();
    }

    private static Dictionary<string, string?> Copy(YamlDocument document) =>
        new(document.Data, StringComparer.OrdinalIgnoreCase);

    public void Dispose() => _file.Changed -= OnChanged;
}
