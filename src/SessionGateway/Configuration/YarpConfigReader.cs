using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Configuration;

/// <summary>
/// Reads the <c>ReverseProxy</c> section with YARP's own configuration reader, so that validation sees exactly
/// the routes and clusters YARP will run (and YARP's own conversion errors, such as a bad enum value).
/// </summary>
internal static class YarpConfigReader
{
    public static (IProxyConfig? Config, ConfigProblem? Problem) Read(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReverseProxy().LoadFromConfig(configuration.GetSection(ReverseProxySchema.SectionName));
        using var provider = services.BuildServiceProvider();
        try
        {
            return (provider.GetRequiredService<IProxyConfigProvider>().GetConfig(), null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            var cause = ex.InnerException ?? ex;
            return (null, new ConfigProblem(ReverseProxySchema.SectionName, cause.Message));
        }
    }
}
