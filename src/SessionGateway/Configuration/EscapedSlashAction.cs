namespace SessionGateway.Configuration;

/// <summary>What the gateway does with <c>%2F</c> in a request path (<c>Session:Paths:EscapedSlashes</c>).</summary>
internal enum EscapedSlashAction
{
    /// <summary>Answer 400: an upstream that decodes it would see a different path than the one judged.</summary>
    Reject,

    /// <summary>Decode it to <c>/</c>, then resolve dot segments and merge slashes again; route and forward that.</summary>
    Unescape,

    /// <summary>Leave it inside its segment; it reaches the upstream as the text <c>%2F</c> (sent as <c>%252F</c>).</summary>
    Keep,
}
