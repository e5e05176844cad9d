namespace SessionGateway.Configuration;

/// <summary>
/// How an upstream asks for a session: on a route with metadata <c>SessionLogin: "true"</c>, a response carrying
/// <see cref="CreateHeader"/> creates one (the headers never reach the client); on a route with
/// <c>SessionLogin: "form"</c>, the app's own login form does (<see cref="Form"/>).
/// </summary>
internal sealed record LoginSettings
{
    public const string RouteMetadataKey = "SessionLogin";

    public string CreateHeader { get; set; } = "X-Session-Create";

    /// <summary>Optional JSON object of custom claims for the new session.</summary>
    public string ClaimsHeader { get; set; } = "X-Session-Claims";

    /// <summary>
    /// Optional: an htpasswd file of users (bcrypt hashes only, as <c>htpasswd -B</c> writes them). When set, the
    /// gateway answers <see cref="SignInPath"/> itself. A relative path is relative to proxy.yaml's folder. Read at
    /// start (the path); the file's contents are reloaded when it changes.
    /// </summary>
    public string? UsersFile { get; set; }

    /// <summary>Where the users-file sign-in is answered (GET: the sign-in page, POST: sign in). Only with <see cref="UsersFile"/>.</summary>
    public string SignInPath { get; set; } = "/api/signin";

    /// <summary>Legacy login forms: routes with metadata <c>SessionLogin: "form"</c>.</summary>
    public FormLoginSettings Form { get; set; } = new();
}
