namespace SessionGateway.Proxy;

/// <summary>
/// What <see cref="FormLoginRequestTransform"/> found in a login form, handed to <see cref="FormLoginResponseTransform"/>
/// through the forwarded request's options: the submitted user name, or why there is none the gateway accepts. Only
/// when the app's answer says success does either matter.
/// </summary>
internal sealed record SubmittedLogin(string? UserName, string? Problem)
{
    public static readonly HttpRequestOptionsKey<SubmittedLogin> Key = new("SessionGateway.SubmittedLogin");

    public static SubmittedLogin User(string userName) => new(userName, null);

    public static SubmittedLogin Refused(string problem) => new(null, problem);
}
