using System.Text;
using SessionGateway.Sessions;

namespace SessionGateway.Configuration;

/// <summary>
/// Webhooks (<c>Session:Webhooks</c>): session events POSTed to one receiver, signed as the Standard Webhooks
/// specification says. Unset <see cref="Url"/>: no webhooks. Read at start. The secret is never printed: not in
/// problems, not by <see cref="object.ToString"/>.
/// </summary>
internal sealed record WebhookSettings
{
    /// <summary>The Standard Webhooks secret prefix; the rest is the key in base64.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The shortest key accepted, in bytes (the specification asks for 24 to 64 random bytes).</summary>
    public const int MinKeyBytes = 24;

    /// <summary>The longest key accepted, in bytes.</summary>
    public const int MaxKeyBytes = 64;

    /// <summary>The event types sent when <see cref="Events"/> is not set.</summary>
    public static readonly IReadOnlyList<string> DefaultEvents = [SessionEventTypes.TheftDetected];

    /// <summary>The receiver: an absolute http or https URL. Unset: no webhooks.</summary>
    public string? Url { get; set; }

    /// <summary>A file holding the signing secret (<c>whsec_...</c>) on its first non-empty line; relative to proxy.yaml's folder.</summary>
    public string? SecretFile { get; set; }

    /// <summary>The signing secret itself (<c>whsec_...</c>). For development; set <see cref="SecretFile"/> or this, not both.</summary>
    public string? Secret { get; set; }

    /// <summary>The event types to send (<see cref="SessionEventTypes"/>); unset: <see cref="DefaultEvents"/>.</summary>
    public IReadOnlyList<string>? Events { get; set; }

    /// <summary>How long after its event a webhook is retried before it is dropped (with an error log and a metric).</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long one attempt may take (connecting, sending, the receiver's answer); longer is a failed attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when a receiver is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    /// <summary>The event types in force.</summary>
    public IReadOnlyList<string> EffectiveEvents => Events ?? DefaultEvents;

    /// <summary>
    /// The event types the engine queues a webhook for: the known ones of <see cref="EffectiveEvents"/> when a receiver
    /// is configured, none otherwise (an unknown name is reported by <see cref="Check"/>, against its own key).
    /// </summary>
    public IReadOnlySet<string> EngineEventTypes() =>
        Enabled ? EffectiveEvents.Where(SessionEventTypes.All.Contains).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    /// <summary>Every problem of the section (nothing when no receiver is configured); the key is read, so its problems too.</summary>
    public void Check(string configDirectory, List<ConfigProblem> problems)
    {
        const string section = SessionSettings.SectionName + ":Webhooks";
        if (!Enabled)
        {
            return;
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") ||
            url.UserInfo.Length > 0 || url.Fragment.Length > 0)
        {
            problems.Add(new ConfigProblem(section + ":Url", $"'{Url}' must be an absolute http:// or https:// URL without user name, password or fragment, such as https://hooks.example.com/sessiongateway"));
        }

        var events = EffectiveEvents;
        if (events.Count == 0)
        {
            problems.Add(new ConfigProblem(section + ":Events", "lists no event type; to send no webhooks, remove Session:Webhooks:Url"));
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (!SessionEventTypes.All.Contains(events[i], StringComparer.Ordinal))
            {
                problems.Add(new ConfigProblem($"{section}:Events:{i}", $"'{events[i]}' is not an event type; the types are {string.Join(", ", SessionEventTypes.All)}"));
            }
        }

        if (RetryFor < TimeSpan.FromMinutes(1) || RetryFor > TimeSpan.FromDays(30))
        {
            problems.Add(new ConfigProblem(section + ":RetryFor", "must be between 1 minute and 30 days"));
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(2))
        {
            problems.Add(new ConfigProblem(section + ":Timeout", "must be between 1 second and 2 minutes"));
        }

        LoadKey(configDirectory, problems);
    }

    /// <summary>
    /// The signing key (the secret's bytes), or null with the problems added, each naming its key. Only called when
    /// <see cref="Enabled"/>.
    /// </summary>
    public byte[]? LoadKey(string configDirectory, List<ConfigProblem> problems)
    {
        const string section = SessionSettings.SectionName + ":Webhooks";
        var hasFile = !string.IsNullOrWhiteSpace(SecretFile);
        var hasValue = !string.IsNullOrWhiteSpace(Secret);
        if (hasFile && hasValue)
        {
            problems.Add(new ConfigProblem(section + ":Secret", "set Session:Webhooks:SecretFile or Session:Webhooks:Secret, not both"));
            return null;
        }

        if (!hasFile && !hasValue)
        {
            problems.Add(new ConfigProblem(section + ":SecretFile", "is required with Session:Webhooks:Url (or Session:Webhooks:Secret for development): the secret that signs every webhook, " + Expected));
            return null;
        }

        if (hasValue)
        {
            var key = ParseSecret(Secret!);
            if (key is null)
            {
                problems.Add(new ConfigProblem(section + ":Secret", "is not a webhook secret; expected " + Expected));
            }

            return key;
        }

        var path = Path.GetFullPath(SecretFile!, configDirectory);
        string? line;
        try
        {
            line = File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ConfigProblem(section + ":SecretFile", $"cannot read '{path}': {ex.Message}"));
            return null;
        }

        var fromFile = line is null ? null : ParseSecret(line);
        if (fromFile is null)
        {
            problems.Add(new ConfigProblem(section + ":SecretFile", $"'{path}' holds no webhook secret; expected {Expected}"));
        }

        return fromFile;
    }

    /// <summary>The secret file and its mode (octal) when group or other users may read it; null otherwise.</summary>
    public (string Path, string Mode)? ExposedSecretFile(string configDirectory) => FileExposure.Exposed(SecretFile, configDirectory);

    private const string Expected = "'whsec_' followed by 24 to 64 random bytes in base64, for example: echo \"whsec_$(openssl rand -base64 32)\"";

    /// <summary>
    /// The key of a Standard Webhooks secret: <c>whsec_</c> and base64 (the prefix may be left out, as the
    /// specification's libraries allow), decoding to <see cref="MinKeyBytes"/> to <see cref="MaxKeyBytes"/> bytes. A
    /// password-like string is refused: the receiver's libraries could not use it, and it would be a weak key.
    /// </summary>
    public static byte[]? ParseSecret(string secret)
    {
        var text = secret.Trim();
        if (text.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            text = text[SecretPrefix.Length..];
        }

        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var length) && length is >= MinKeyBytes and <= MaxKeyBytes
            ? buffer[..length]
            : null;
    }

    // Records print every property; this one is a key.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url)
            .Append(", SecretFile = ").Append(SecretFile)
            .Append(", Secret = ").Append(string.IsNullOrEmpty(Secret) ? "(unset)" : "(set)")
            .Append(", Events = ").Append(string.Join(",", EffectiveEvents))
            .Append(", RetryFor = ").Append(RetryFor)
            .Append(", Timeout = ").Append(Timeout);
        return true;
    }
}
