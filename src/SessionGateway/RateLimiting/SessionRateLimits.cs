using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using SessionGateway.Configuration;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.RateLimiting;

/// <summary>
/// ASP.NET Core's rate limiter on the refresh endpoint and on login routes, one fixed window per client address
/// (<see cref="ConnectionInfo.RemoteIpAddress"/>: behind a reverse proxy, only with forwarded headers configured is
/// that the client's). A request over the limit is answered 429 with <c>Retry-After</c> and never reaches the
/// engine or the upstream. Other requests pay nothing: the middleware only looks at endpoints that name a policy.
/// </summary>
internal static partial class SessionRateLimits
{
    public const string RefreshPolicy = "session-refresh";
    public const string LoginPolicy = "session-login";
    private const string LogCategory = "SessionGateway.RateLimiting";

    public static IServiceCollection AddSessionRateLimits(this IServiceCollection services, RateLimitSettings settings)
    {
        if (!settings.AnyEnabled)
        {
            return services;
        }

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            if (settings.Refresh.Enabled)
            {
                options.AddPolicy(RefreshPolicy, context => Partition(context, settings.Refresh));
            }

            if (settings.Login.Enabled)
            {
                options.AddPolicy(LoginPolicy, context => Partition(context, settings.Login));
            }
        });
        if (settings.Login.Enabled)
        {
            // Login routes come from proxy.yaml and change on reload: the policy is put on them as YARP loads them.
            services.AddSingleton<IProxyConfigFilter, LoginRateLimitFilter>();
        }

        return services;
    }

    /// <summary>
    /// The partition of a request: its client address, an IPv4-mapped IPv6 address as the IPv4 one, and an IPv6
    /// address as its /64, because a single subscriber usually holds a whole /64 and could otherwise rotate through
    /// it for fresh limits.
    /// </summary>
    internal static IPAddress ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None; // Not a TCP connection (tests, in-memory servers): one shared partition.
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private static RateLimitPartition<IPAddress> Partition(HttpContext context, RateLimitRule rule) =>
        RateLimitPartition.GetFixedWindowLimiter(ClientKey(context.Connection.RemoteIpAddress), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = rule.PermitLimit,
            Window = rule.Window,
            QueueLimit = 0, // Answer at once; holding requests open would only tie up connections.
            AutoReplenishment = true,
        });

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        // A fixed window's lease says when the window ends (the whole window, at worst); a client may retry then.
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var policy = context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "?";
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        Log.Rejected(logger, policy, context.Connection.RemoteIpAddress?.ToString() ?? "(none)", context.Request.Path.ToUriComponent(), seconds);
        await JsonResponses.WriteAsync(context.Response, StatusCodes.Status429TooManyRequests, JsonResponses.TooManyRequests);
    }

    private static partial class Log
    {
        [LoggerMessage(2150, LogLevel.Warning, "Rate limit {Policy} exceeded by {RemoteAddress} on {Path}: answered 429, retry after {RetryAfterSeconds} s")]
        public static partial void Rejected(ILogger logger, string policy, string remoteAddress, string path, long retryAfterSeconds);
    }
}
