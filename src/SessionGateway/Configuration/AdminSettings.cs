using System.Text;

namespace SessionGateway.Configuration;

/// <summary>
/// The admin API (<c>Session:Admin</c>): the API key that opens it, from a file (a mounted Kubernetes Secret) or, for
/// development, a value (environment variable <c>Session__Admin__ApiKey</c>). No key: the admin API is off and its
/// paths do not exist. Read at start. The key is never printed: not in problems, not by <see cref="object.ToString"/>.
/// </summary>
internal sealed record AdminSettings
{
    public const string ApiKeyFileKey = SessionSettings.SectionName + ":Admin:ApiKeyFile";
    public const string ApiKeyKey = SessionSettings.SectionName + ":Admin:ApiKey";

    /// <summary>
    /// The shortest key accepted: 32 characters of the output of <c>openssl rand -base64 32</c> (44 characters, 256
    /// bits) or <c>-hex 32</c> (64) are far more than anyone can guess; a short, typed-in password is not.
    /// </summary>
    public const int MinimumKeyLength = 32;

    /// <summary>The longest key accepted (a key travels in a request header on every call).</summary>
    public const int MaximumKeyLength = 1024;

    private const string Expected = "at least 32 visible ASCII characters without spaces, for example the output of: openssl rand -base64 32";

    /// <summary>A file holding the key (surrounding whitespace and the final line break ignored). Relative to proxy.yaml's folder.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>The key itself. For development; set <see cref="ApiKeyFile"/> or this, not both.</summary>
    public string? ApiKey { get; set; }

    /// <summary>True when a key is configured (in a file or inline): the admin API is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(ApiKeyFile) || !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>True when the key is written inline (<see cref="ApiKey"/>) rather than read from a file.</summary>
    public bool IsInline => string.IsNullOrWhiteSpace(ApiKeyFile) && !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>
    /// The key in force: null when none is configured, or (with the problems added, each naming its key and never the
    /// value) when the configured one is unusable or the management listener it needs is missing.
    /// </summary>
    public string? LoadKey(ManagementSettings management, string configDirectory, List<ConfigProblem> problems)
    {
        if (!Enabled)
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(ApiKeyFile) && !string.IsNullOrWhiteSpace(ApiKey))
        {
            problems.Add(new ConfigProblem(ApiKeyKey, $"set {ApiKeyFileKey} or {ApiKeyKey}, not both"));
            return null;
        }

        var key = IsInline ? ApiKeyKey : ApiKeyFileKey;
        var before = problems.Count;
        if (!management.Enabled)
        {
            problems.Add(new ConfigProblem(key, $"the admin API is served on the management listener only: set {SessionGateway.Management.ManagementListener.UrlsKey} too (or remove the key to turn the admin API off)"));
        }

        string value;
        if (IsInline)
        {
            value = ApiKey!.Trim();
        }
        else
        {
            var path = Path.GetFullPath(ApiKeyFile!, configDirectory);
            try
            {
                value = File.ReadAllText(path).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add(new ConfigProblem(key, $"cannot read '{path}': {ex.Message}"));
                return null;
            }

            if (value.Length == 0)
            {
                problems.Add(new ConfigProblem(key, $"'{path}' holds no key; expected {Expected}"));
                return null;
            }
        }

        if (Problem(value) is { } problem)
        {
            problems.Add(new ConfigProblem(key, (IsInline ? "" : $"the key in '{Path.GetFullPath(ApiKeyFile!, configDirectory)}' ") + problem));
        }

        return problems.Count > before ? null : value;
    }

    /// <summary>Why <paramref name="key"/> cannot be an admin API key, or null when it can. Never quotes the key.</summary>
    public static string? Problem(string key)
    {
        if (key.Length < MinimumKeyLength)
        {
            return $"is too short: use {Expected}";
        }

        if (key.Length > MaximumKeyLength)
        {
            return $"is longer than {MaximumKeyLength} characters";
        }

        foreach (var c in key)
        {
            // What a client can send in an Authorization header as it is, without any encoding to agree on.
            if (c is < '!' or > '~')
            {
                return $"holds a space, a line break, a control or a non-ASCII character: use {Expected}";
            }
        }

        return null;
    }

    /// <summary>
    /// The key file and its mode (octal) when group or other users may read it; null when it is private, not set,
    /// missing, or on Windows. Checked at start, where the gateway warns.
    /// </summary>
    public (string Path, string Mode)? ExposedKeyFile(string configDirectory) => FileExposure.Exposed(ApiKeyFile, configDirectory);

    // Records print every property; this is a key.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ApiKeyFile = ").Append(ApiKeyFile)
            .Append(", ApiKey = ").Append(string.IsNullOrEmpty(ApiKey) ? "(unset)" : "(set)");
        return true;
    }
}
