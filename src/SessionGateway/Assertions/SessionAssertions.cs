using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using SessionGateway.Configuration;
using SessionGateway.Tokens;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Assertions;

/// <summary>
/// The signed identity assertion for upstreams (<c>Session:Assertion</c>): which routes get one and for which audience
/// (<see cref="AudienceFor"/>), and the assertion itself for a verified access token (<see cref="Get"/>), minted by the
/// engine's <see cref="AssertionIssuer"/> with the current signing key. Assertions are cached per token and audience:
/// a request whose token and audience were seen before costs a table lookup, no signature and no allocation. The
/// cache is keyed weakly by the engine's <see cref="VerifiedAccessToken"/>, which the verification cache keeps for as
/// long as it keeps the token, so the assertions of a token go with it. Settings are the ones in force at start.
/// </summary>
internal sealed partial class SessionAssertions
{
    // An assertion is handed out again until this much of it is left (or a quarter of its lifetime, when that is
    // shorter), so an upstream always receives one with time to spare for its clock and its own work.
    private static readonly TimeSpan RenewMargin = TimeSpan.FromSeconds(10);

    private readonly ConditionalWeakTable<VerifiedAccessToken, TokenAssertions> _cache = [];
    private readonly AssertionIssuer _issuer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SessionAssertions> _logger;
    private readonly TimeSpan _lifetime;
    private readonly bool _allRoutes;
    private readonly FrozenSet<string> _claims;

    /// <summary>Takes the settings in force at start: <c>Session:Assertion</c> is read at start.</summary>
    public SessionAssertions(SessionSettings settings, AssertionIssuer issuer, TimeProvider timeProvider, ILogger<SessionAssertions> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _issuer = issuer;
        _timeProvider = timeProvider;
        _logger = logger;
        HeaderName = settings.Assertion.Header;
        _lifetime = settings.Assertion.Lifetime;
        _allRoutes = settings.Assertion.AllRoutes;
        _claims = settings.Assertion.ClaimNames(settings.Headers).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The request header the assertion travels in (<c>Session:Assertion:Header</c>).</summary>
    public string HeaderName { get; }

    /// <summary>
    /// The audience of the assertion on <paramref name="route"/>, or <see langword="null"/> when the route gets none:
    /// a route gets one with metadata <c>SessionAssertion: "true"</c>, or with <c>Session:Assertion:AllRoutes</c> unless
    /// its metadata says <c>"false"</c>. The audience is the metadata <c>SessionAssertionAudience</c>, else the route's
    /// cluster id. No route (a path that matches none) gets none. The same route gives the same string instance, which
    /// the cache compares first.
    /// </summary>
    public string? AudienceFor(RouteConfig? route)
    {
        if (route is null)
        {
            return null;
        }

        string? optIn = null;
        string? audience = null;
        if (route.Metadata is { } metadata)
        {
            metadata.TryGetValue(AssertionSettings.RouteMetadataKey, out optIn);
            metadata.TryGetValue(AssertionSettings.AudienceMetadataKey, out audience);
        }

        if (optIn is not "true" && !(_allRoutes && optIn is null))
        {
            return null;
        }

        audience ??= route.ClusterId;
        return string.IsNullOrEmpty(audience) ? null : audience;
    }

    /// <summary>
    /// The assertion for <paramref name="token"/>'s session and <paramref name="audience"/>: the cached one while more
    /// than its renewal margin is left, else a new one (<c>exp</c> = the lifetime from now, or the access token's
    /// expiry when sooner). One capped at the access token's expiry is kept to the end: a new one could not last longer.
    /// </summary>
    public string Get(VerifiedAccessToken token, string audience)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(audience);
        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGetValue(token, out var cached) && cached.Find(audience) is { } hit && now < hit.RenewAt)
        {
            return hit.Token;
        }

        var minted = _issuer.Mint(token, audience, _claims, _lifetime, now);
        var renewAt = minted.Expires >= token.Expires
            ? DateTimeOffset.MaxValue
            : minted.Expires - Min((minted.Expires - minted.IssuedAt) / 4, RenewMargin);
        _cache.GetValue(token, static _ => new TokenAssertions()).Put(new CachedAssertion(audience, minted.Token, renewAt));
        Log.Minted(_logger, token.SessionHandle, audience, minted.Expires);
        return minted.Token;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(2160, LogLevel.Debug, "Signed identity assertion minted for session {SessionHandle}, audience {Audience}, expires {Expires:O}")]
        public static partial void Minted(ILogger logger, string sessionHandle, string audience, DateTimeOffset expires);
    }
}
