using System.Diagnostics.CodeAnalysis;

namespace SessionGateway.Sessions;

/// <summary>Result of <see cref="SessionEngine.RefreshAsync(string?, Storage.ClientInfo?, CancellationToken)"/>; expected failures are values, not exceptions.</summary>
internal sealed record RefreshOutcome
{
    private RefreshOutcome(RefreshOutcomeKind kind, IssuedSession? session, TheftReport? theft, bool withinGrace = false)
    {
        Kind = kind;
        WithinGrace = withinGrace;
        Session = session;
        Theft = theft;
    }

    public static RefreshOutcome Unauthorised { get; } = new(RefreshOutcomeKind.Unauthorised, null, null);

    public static RefreshOutcome StoreUnavailable { get; } = new(RefreshOutcomeKind.StoreUnavailable, null, null);

    public RefreshOutcomeKind Kind { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="RefreshOutcomeKind.Success"/>.</summary>
    public IssuedSession? Session { get; }

    /// <summary>
    /// A success that rotated nothing: the previous refresh token presented again within the grace period (a retry or
    /// a concurrent refresh) got the same next token as the first.
    /// </summary>
    public bool WithinGrace { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="RefreshOutcomeKind.Theft"/>.</summary>
    public TheftReport? Theft { get; }

    [MemberNotNullWhen(true, nameof(Session))]
    public bool IsSuccess => Kind == RefreshOutcomeKind.Success;

    [MemberNotNullWhen(true, nameof(Theft))]
    public bool IsTheft => Kind == RefreshOutcomeKind.Theft;

    public static RefreshOutcome Success(IssuedSession session) => new(RefreshOutcomeKind.Success, session, null);

    /// <summary>A success within the grace period (see <see cref="WithinGrace"/>).</summary>
    public static RefreshOutcome GraceSuccess(IssuedSession session) => new(RefreshOutcomeKind.Success, session, null, withinGrace: true);

    public static RefreshOutcome TheftDetected(TheftReport theft) => new(RefreshOutcomeKind.Theft, null, theft);
}
