namespace SessionGateway.Sessions;

/// <summary>Which superseded refresh token was presented.</summary>
internal enum TheftKind
{
    /// <summary>The previous token, after the grace window closed.</summary>
    PreviousAfterGrace,

    /// <summary>A token from two or more generations ago.</summary>
    OlderGeneration,
}
