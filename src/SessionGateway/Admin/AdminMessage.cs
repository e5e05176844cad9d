namespace SessionGateway.Admin;

/// <summary>The body of every admin API refusal: <c>{"message": "..."}</c>, as the gateway's other JSON answers.</summary>
internal sealed record AdminMessage(string Message);
