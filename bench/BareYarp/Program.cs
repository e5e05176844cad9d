// Bare YARP for bench/run.sh: the same Kestrel setting as the gateway (no Server header), only MapReverseProxy.
// Routes, clusters, URLs and log levels come from the command line, e.g.
//   dotnet BareYarp.dll --Urls http://127.0.0.1:5000 --Logging:LogLevel:Default Warning
//     --ReverseProxy:Routes:all:ClusterId up --ReverseProxy:Routes:all:Match:Path "{**catch-all}"
//     --ReverseProxy:Clusters:up:Destinations:d:Address http://127.0.0.1:5001/
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
