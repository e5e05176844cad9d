using System.Text;
using SessionGateway.Transport;

namespace SessionGateway.Management;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c> on the management listener (and 404 for anything else that reaches the end of
/// its pipeline; <c>/metrics</c> is answered before, by OpenTelemetry's Prometheus exporter).
/// </summary>
internal static class ManagementEndpoints
{
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string MetricsPath = "/metrics";

    private static readonly byte[] Alive = Encoding.UTF8.GetBytes("""{"status":"alive"}""");
    private static readonly byte[] Ready = Encoding.UTF8.GetBytes("""{"status":"ready"}""");
    private static readonly byte[] Starting = Encoding.UTF8.GetBytes("""{"status":"unready","reason":"starting"}""");
    private static readonly byte[] Draining = Encoding.UTF8.GetBytes("""{"status":"unready","reason":"draining"}""");
    private static readonly byte[] SigningKeys = Encoding.UTF8.GetBytes("""{"status":"unready","reason":"signing keys"}""");
    private static readonly byte[] StoreUnavailable = Encoding.UTF8.GetBytes("""{"status":"unready","reason":"store unavailable"}""");
    private static readonly byte[] NotFound = Encoding.UTF8.GetBytes("""{"message":"not found: the management listener serves /healthz, /readyz and /metrics"}""");

    /// <summary>True for a GET or HEAD of <paramref name="path"/>.</summary>
    public static bool IsRead(HttpContext context, string path) =>
        (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) &&
        context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase);

    public static async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var isHealth = path.Equals(HealthPath, StringComparison.OrdinalIgnoreCase);
        if (!isHealth && !path.Equals(ReadyPath, StringComparison.OrdinalIgnoreCase) && !path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase))
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status404NotFound, NotFound);
            return;
        }

        // A GET or HEAD of /metrics was answered by the exporter before this.
        if (path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase) ||
            (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET, HEAD");
            return;
        }

        if (isHealth)
        {
            // Alive while the process can answer at all; nothing else is checked, so a store outage never restarts it.
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, Alive);
            return;
        }

        var readiness = await context.RequestServices.GetRequiredService<GatewayReadiness>().CheckAsync(context.RequestAborted);
        var body = readiness switch
        {
            Readiness.Ready => Ready,
            Readiness.Starting => Starting,
            Readiness.Draining => Draining,
            Readiness.SigningKeys => SigningKeys,
            _ => StoreUnavailable,
        };
        await JsonResponses.WriteAsync(
            context.Response,
            readiness == Readiness.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
            body);
    }
}
