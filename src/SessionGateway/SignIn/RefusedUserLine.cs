namespace SessionGateway.SignIn;

/// <summary>A line of the users file whose user was left out, and why (never the hash itself).</summary>
internal readonly record struct RefusedUserLine(int Line, string Reason);
