using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Configuration;

/// <summary>
/// Reads the <c>ReverseProxy</c> section with YARP's own configuration reader, so that validation sees exactly
/// the routes and clusters YARP will run (and YARP's own conversion errors, such as a bad enum value).
/// </summary>
internal static class YarpConfigReader
{
    /// <summary>
    /// Reads the section with <paramref name="application"/>'s own reader when given (at start: YARP then runs what
    /// was read and checked, without reading it again unless the configuration reloads), else with a reader of its
    /// own (a candidate edit, which the application must not see before it is accepted).
    /// </summary>
    public static (IProxyConfig? Config, ConfigProblem? Problem) Read(IConfiguration configuration, IProxyConfigProvider? application = null)
    {
        if (application is not null)
        {
            return Read(application);
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReverseProxy().LoadFromConfig(configuration.GetSection(ReverseProxySchema.SectionName));
        using var provider = services.BuildServiceProvider();
        return Read(provider.GetRequiredService<IProxyConfigProvider>());
    }

    private static (IProxyConfig? Config, ConfigProblem? Problem) Read(IProxyConfigProvider provider)
    {
        try
        {
            return (provider.GetConfig(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever YARP's reader refuses is a problem of the file, reported with the others (exit code 2), never a
            // crash: besides conversion errors it throws a plain Exception for a route written with a RouteId key.
            var cause = ex.InnerException ?? ex;
            return (null, new ConfigProblem(ReverseProxySchema.SectionName, cause.Message));
        }
    }
}
