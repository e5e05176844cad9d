namespace SessionGateway.Sessions;

/// <summary>What a refresh came to; the HTTP layer maps each to one response.</summary>
internal enum RefreshOutcomeKind
{
    /// <summary>New tokens issued (a rotation, or a retry inside the grace window with the same next refresh token).</summary>
    Success,

    /// <summary>Malformed, forged, unknown, expired or revoked: clear the client's tokens.</summary>
    Unauthorised,

    /// <summary>Reuse of a superseded refresh token: the session has been revoked.</summary>
    Theft,

    /// <summary>The store failed; answer 503 and keep the client's tokens (this is not a logout).</summary>
    StoreUnavailable,
}
