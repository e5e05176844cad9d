namespace SessionGateway.Configuration;

/// <summary>What the gateway does with a path character some upstreams give a meaning of their own.</summary>
internal enum AmbiguousPathAction
{
    /// <summary>Answer 400 before routing.</summary>
    Reject,

    /// <summary>Route and forward the path with the character as it is.</summary>
    Keep,
}
