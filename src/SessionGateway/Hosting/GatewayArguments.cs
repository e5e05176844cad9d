namespace SessionGateway.Hosting;

/// <summary>The gateway's own command-line switches; everything else is passed to ASP.NET Core configuration.</summary>
/// <param name="ConfigPath">The configuration file as given (<c>--config</c>), <c>proxy.yaml</c> by default.</param>
/// <param name="Rest">The arguments for ASP.NET Core configuration.</param>
/// <param name="Check">
/// <c>--check</c>: validate the configuration, open the store and load the keys as a start would, without listening;
/// exit 0 or 2.
/// </param>
internal sealed record GatewayArguments(string ConfigPath, string[] Rest, bool Check = false)
{
    public const string DefaultConfigFile = "proxy.yaml";
    public const string CheckSwitch = "--check";

    public static GatewayArguments Parse(string[] args)
    {
        var configPath = DefaultConfigFile;
        var check = false;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--config" or "-c" && i + 1 < args.Length)
            {
                configPath = args[++i];
            }
            else if (arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                configPath = arg["--config=".Length..];
            }
            else if (arg == CheckSwitch)
            {
                check = true;
            }
            else
            {
                rest.Add(arg);
            }
        }

        return new GatewayArguments(configPath, [.. rest], check);
    }

    /// <summary>
    /// The configuration file's full path: a relative one (the default <c>proxy.yaml</c> too) is relative to the
    /// working directory the gateway was started in, never to where its binaries are.
    /// </summary>
    public string ResolveConfigPath(string workingDirectory) => Path.GetFullPath(ConfigPath, workingDirectory);
}
