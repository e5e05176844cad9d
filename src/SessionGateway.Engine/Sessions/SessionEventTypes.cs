namespace SessionGateway.Sessions;

/// <summary>
/// The public names of audit events (the admin API's <c>type</c> and the webhook event types, a contract) and how they
/// map onto the kinds stored in the audit trail. A stored kind is the type's detail as well: a revocation says why,
/// a theft says which token gave it away; <see cref="KindOf"/> turns it into the public <c>kind</c> field.
/// </summary>
internal static class SessionEventTypes
{
    public const string Created = "session.created";
    public const string SignedOut = "session.signed_out";
    public const string Revoked = "session.revoked";
    public const string TheftDetected = "session.theft_detected";

    /// <summary>Every public type, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyList<string> All = [Created, SignedOut, Revoked, TheftDetected];

    // Stored kinds. Shipped databases hold these strings: never rename one.
    public const string CreatedKind = "created";
    public const string SignedOutKind = "signed-out";
    public const string RevokedByAdminKind = "revoked";
    public const string RevokedByUserKind = "revoked-by-user";
    public const string IdleTimeoutKind = "idle-timeout";
    public const string AbsoluteLifetimeKind = "absolute-lifetime";
    public const string TheftKindPrefix = "token-theft:";

    private static readonly string[] RevokedKinds = [RevokedByAdminKind, RevokedByUserKind, IdleTimeoutKind, AbsoluteLifetimeKind];
    private static readonly string[] TheftKinds = [TheftKindPrefix + nameof(TheftKind.PreviousAfterGrace), TheftKindPrefix + nameof(TheftKind.OlderGeneration)];

    /// <summary>The stored kind of a theft of <paramref name="kind"/>.</summary>
    public static string TheftKindOf(TheftKind kind) => TheftKindPrefix + kind;

    /// <summary>The public type of a stored kind, or null for a kind this version does not know.</summary>
    public static string? TypeOf(string storedKind) => storedKind switch
    {
        CreatedKind => Created,
        SignedOutKind => SignedOut,
        RevokedByAdminKind or RevokedByUserKind or IdleTimeoutKind or AbsoluteLifetimeKind => Revoked,
        _ when storedKind.StartsWith(TheftKindPrefix, StringComparison.Ordinal) => TheftDetected,
        _ => null,
    };

    /// <summary>
    /// The public <c>kind</c> of a stored kind: why a session was revoked (<c>admin</c>, <c>user</c>,
    /// <c>idle_timeout</c>, <c>absolute_lifetime</c>) or how a theft showed (<c>previous_after_grace</c>,
    /// <c>older_generation</c>); null for created and signed out.
    /// </summary>
    public static string? KindOf(string storedKind) => storedKind switch
    {
        RevokedByAdminKind => "admin",
        RevokedByUserKind => "user",
        IdleTimeoutKind => "idle_timeout",
        AbsoluteLifetimeKind => "absolute_lifetime",
        TheftKindPrefix + nameof(TheftKind.PreviousAfterGrace) => "previous_after_grace",
        TheftKindPrefix + nameof(TheftKind.OlderGeneration) => "older_generation",
        _ => null,
    };

    /// <summary>The stored kinds of a public type (for filtering the audit trail), or null for an unknown type.</summary>
    public static IReadOnlyList<string>? StoredKindsOf(string type) => type switch
    {
        Created => [CreatedKind],
        SignedOut => [SignedOutKind],
        Revoked => RevokedKinds,
        TheftDetected => TheftKinds,
        _ => null,
    };
}
