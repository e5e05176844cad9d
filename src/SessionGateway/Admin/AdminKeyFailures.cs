namespace SessionGateway.Admin;

/// <summary>
/// Reports refused admin API requests (no key, a wrong one): at most one warning a minute with the count since the
/// last one, so a guessing client cannot flood the log, and never the value presented.
/// </summary>
internal sealed partial class AdminKeyFailures(TimeProvider time, ILogger<AdminKeyFailures> logger)
{
    private long _lastWarning = long.MinValue;
    private int _refused;

    public void Refused(HttpContext context, string reason)
    {
        Interlocked.Increment(ref _refused);
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == long.MinValue || now - last >= TimeSpan.TicksPerMinute) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            var address = Transport.RequestClient.Of(context)?.Address ?? "(unknown)";
            // The path escaped, as everywhere the gateway logs one: a %0D%0A in it cannot forge log lines.
            Log.Refused(logger, context.Request.Method, context.Request.Path.ToUriComponent(), address, reason, Interlocked.Exchange(ref _refused, 0));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5101, LogLevel.Warning,
            "Refused an admin API request with 401: {Method} {Path} from {RemoteAddress}, {Reason}; {Count} refused since the last such line (logged at most once a minute)")]
        public static partial void Refused(ILogger logger, string method, string path, string remoteAddress, string reason, int count);
    }
}
