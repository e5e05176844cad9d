// Bare YARP for bench/run.sh: the same Kestrel setting as the gateway (no Server header), only MapReverseProxy.
// Routes, clusters, URLs and log levels come from the command line (bench/run.sh passes the routes of the gateway's
// proxy.yaml: a login route with its method, /public and /app), e.g.
//   dotnet BareYarp.dll --Urls http://127.0.0.1:5000 --Logging:LogLevel:Default Warning
//     --ReverseProxy:Routes:all:ClusterId up --ReverseProxy:Routes:all:Match:Path "{**catch-all}"
//     --ReverseProxy:Clusters:up:Destinations:d:Address http://127.0.0.1:5001/
// With --BareYarp:SessionWork true it also does the per-request work the gateway does on a session route besides
// verifying the token (SessionWork.cs): the floor of what that work costs on YARP's own extension points.
using BareYarp;
using Yarp.ReverseProxy.Forwarder;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var sessionWork = builder.Configuration.GetValue<bool>("BareYarp:SessionWork");
if (sessionWork)
{
    builder.Services.AddSingleton<IForwarderHttpClientFactory, SessionWork.ClientFactory>();
}

var proxy = builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
if (sessionWork)
{
    proxy.AddTransforms(context => context.RequestTransforms.Add(new SessionWork.IdentityHeaders()));
}

var app = builder.Build();
if (sessionWork)
{
    app.UseMiddleware<SessionWork.AccessMiddleware>();
}

app.MapReverseProxy();
await app.RunAsync();
