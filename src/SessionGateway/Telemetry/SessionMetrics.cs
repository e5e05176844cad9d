using System.Diagnostics.Metrics;
using SessionGateway.Sessions;

namespace SessionGateway.Telemetry;

/// <summary>
/// The gateway's instruments on the <c>SessionGateway</c> meter (the engine's are in <see cref="EngineTelemetry"/>).
/// Every attribute value is one of a fixed set, each a cached tag, so counting a request allocates nothing; no
/// attribute ever carries a user id, a session handle or a token.
/// </summary>
internal sealed class SessionMetrics
{
    public const string MeterName = EngineTelemetry.Name;

    private static readonly KeyValuePair<string, object?> Valid = new("outcome", "valid");
    private static readonly KeyValuePair<string, object?> Expired = new("outcome", "expired");
    private static readonly KeyValuePair<string, object?> Missing = new("outcome", "missing");
    private static readonly KeyValuePair<string, object?> Invalid = new("outcome", "invalid");
    private static readonly KeyValuePair<string, object?> Forbidden = new("outcome", "forbidden");
    private static readonly KeyValuePair<string, object?> Anonymous = new("outcome", "anonymous");

    private static readonly KeyValuePair<string, object?> RefreshSuccess = new("outcome", "success");
    private static readonly KeyValuePair<string, object?> RefreshGrace = new("outcome", "grace");
    private static readonly KeyValuePair<string, object?> RefreshUnauthorised = new("outcome", "unauthorised");
    private static readonly KeyValuePair<string, object?> RefreshTheft = new("outcome", "theft");
    private static readonly KeyValuePair<string, object?> RefreshStoreUnavailable = new("outcome", "store_unavailable");

    private static readonly KeyValuePair<string, object?> PreviousAfterGrace = new("kind", nameof(TheftKind.PreviousAfterGrace));
    private static readonly KeyValuePair<string, object?> OlderGeneration = new("kind", nameof(TheftKind.OlderGeneration));

    private static readonly KeyValuePair<string, object?> ReloadApplied = new("result", "applied");
    private static readonly KeyValuePair<string, object?> ReloadRejected = new("result", "rejected");

    private readonly Counter<long> _authDecisions;
    private readonly Counter<long> _refreshOutcomes;
    private readonly Counter<long> _theft;
    private readonly Counter<long> _signOuts;
    private readonly Counter<long> _configReloads;

    public SessionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _authDecisions = meter.CreateCounter<long>("sessiongateway.auth.decisions", unit: "{request}", description: "Route access decisions, by outcome: valid, expired, missing, invalid, forbidden, anonymous.");
        _refreshOutcomes = meter.CreateCounter<long>("sessiongateway.refresh.outcomes", unit: "{request}", description: "Refresh requests, by outcome: success, grace, unauthorised, theft, store_unavailable.");
        _theft = meter.CreateCounter<long>("sessiongateway.token_theft", unit: "{event}", description: "Refresh-token reuse detected as theft; each revoked a session.");
        _signOuts = meter.CreateCounter<long>("sessiongateway.signouts", unit: "{session}", description: "Sessions ended by the sign-out endpoint.");
        _configReloads = meter.CreateCounter<long>("sessiongateway.config.reloads", unit: "{reload}", description: "Edits of proxy.yaml, by result: applied, rejected.");
    }

    /// <summary>A request with a valid session was let through.</summary>
    public void AuthValid() => _authDecisions.Add(1, Valid);

    /// <summary>A public route without a (valid) session was let through anonymously.</summary>
    public void AuthAnonymous() => _authDecisions.Add(1, Anonymous);

    /// <summary>A session lacked the claims the route's policy requires (403).</summary>
    public void AuthForbidden() => _authDecisions.Add(1, Forbidden);

    /// <summary>A route that needs a session refused a request: no token (401), an expired one or an invalid one (the expired status).</summary>
    public void AuthRefused(bool tokenPresent, bool expired) =>
        _authDecisions.Add(1, !tokenPresent ? Missing : expired ? Expired : Invalid);

    public void Refreshed(RefreshOutcomeKind kind, bool withinGrace) => _refreshOutcomes.Add(1, RefreshOutcome(kind, withinGrace));

    /// <summary>The <c>outcome</c> of a refresh, as the counter and the refresh span both name it.</summary>
    public static KeyValuePair<string, object?> RefreshOutcome(RefreshOutcomeKind kind, bool withinGrace) => kind switch
    {
        RefreshOutcomeKind.Success => withinGrace ? RefreshGrace : RefreshSuccess,
        RefreshOutcomeKind.Theft => RefreshTheft,
        RefreshOutcomeKind.StoreUnavailable => RefreshStoreUnavailable,
        _ => RefreshUnauthorised,
    };

    public void TheftDetected(TheftKind kind) =>
        _theft.Add(1, kind == TheftKind.PreviousAfterGrace ? PreviousAfterGrace : OlderGeneration);

    public void SignedOut() => _signOuts.Add(1);

    public void ConfigReloaded(bool applied) => _configReloads.Add(1, applied ? ReloadApplied : ReloadRejected);
}
