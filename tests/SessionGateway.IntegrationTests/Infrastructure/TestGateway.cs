using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGateway.Configuration;
using SessionGateway.Hosting;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>The real gateway on Kestrel at 127.0.0.1 (a free port), configured by a proxy.yaml in a temp folder.</summary>
internal sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ProxyYamlFile? _file;

    private TestGateway(WebApplication app, ProxyYamlFile? file, string directory, Uri address, CapturingLoggerProvider logs)
    {
        _app = app;
        _file = file;
        Directory = directory;
        Address = address;
        Logs = logs;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
    }

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "proxy.yaml");

    /// <summary>The SQLite session database the gateway uses by default (next to proxy.yaml).</summary>
    public string DatabasePath => Path.Combine(Directory, "sessions.db");

    public Uri Address { get; }

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The watched proxy.yaml (<see cref="ProxyYamlFile.Reload"/> applies an edit without waiting for the watcher).</summary>
    public ProxyYamlFile? ConfigFile => _file;

    public static Task<TestGateway> StartAsync(string yaml, params string[] extraArgs) => StartAsync(yaml, configure: null, extraArgs);

    /// <summary>
    /// Starts the gateway; <paramref name="configure"/> runs after the gateway registered its services (for
    /// example to replace <see cref="TimeProvider"/> with a fake clock).
    /// </summary>
    public static async Task<TestGateway> StartAsync(string yaml, Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sg-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(configPath, yaml);
        var logs = new CapturingLoggerProvider();
        var build = GatewayHost.Build(
            ["--config", configPath, "--Urls", "http://127.0.0.1:0", .. extraArgs],
            builder =>
            {
                builder.Logging.AddProvider(logs);
                configure?.Invoke(builder);
            });
        if (build.App is null)
        {
            throw new InvalidOperationException("gateway did not build: " + string.Join("; ", build.Problems));
        }

        await build.App.StartAsync();
        var address = build.App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new TestGateway(build.App, build.ConfigFile, directory, new Uri(address), logs);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; file watching runs on the real clock.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting until " + what);
            }

            await Task.Delay(50);
        }
    }

    public async Task<HttpStatusCode> StatusOfAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _file?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temp folder is cleaned by the OS.
        }
    }
}
