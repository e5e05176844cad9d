namespace SessionGateway.Hosting;

/// <summary>The gateway's own command-line switches; everything else is passed to ASP.NET Core configuration.</summary>
internal sealed record GatewayArguments(string ConfigPath, string[] Rest)
{
    public const string DefaultConfigFile = "proxy.yaml";

    public static GatewayArguments Parse(string[] args)
    {
        var configPath = DefaultConfigFile;
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
            else
            {
                rest.Add(arg);
            }
        }

        return new GatewayArguments(configPath, [.. rest]);
    }
}
