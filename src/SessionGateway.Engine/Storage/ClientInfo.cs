namespace SessionGateway.Storage;

/// <summary>
/// Who was seen making a request that changed a session: the client's network address (after trusted forwarding) and
/// its <c>User-Agent</c>, cut to <see cref="MaxUserAgentLength"/> characters. Shown to the session's user and to
/// admins; never used to decide anything.
/// </summary>
internal sealed record ClientInfo(string? Address, string? UserAgent)
{
    /// <summary>The longest user agent kept; longer ones are cut (a header is not a place to store a novel).</summary>
    public const int MaxUserAgentLength = 512;

    /// <summary>A client info with the user agent cut to its maximum length, or null when both parts are missing.</summary>
    public static ClientInfo? Of(string? address, string? userAgent)
    {
        if (string.IsNullOrEmpty(address) && string.IsNullOrEmpty(userAgent))
        {
            return null;
        }

        if (userAgent is { Length: > MaxUserAgentLength })
        {
            userAgent = userAgent[..MaxUserAgentLength];
        }

        return new ClientInfo(string.IsNullOrEmpty(address) ? null : address, string.IsNullOrEmpty(userAgent) ? null : userAgent);
    }
}
