using System.Text;
using SessionGateway.Keys;

namespace SessionGateway.Configuration;

/// <summary>
/// The key-encryption key (KEK) that encrypts signing keys and the refresh-token secret in the session store
/// (<c>Session:KeyEncryption</c>). 32 random bytes in base64 (<c>openssl rand -base64 32</c>), from a file (a mounted
/// Kubernetes Secret) or, for development, a value (environment variable <c>Session__KeyEncryption__Key</c>). Read
/// at start. Values are never printed: not in problems, not by <see cref="object.ToString"/>.
/// </summary>
internal sealed record KeyEncryptionSettings
{
    /// <summary>
    /// A file holding the KEK on its first non-empty line; further lines are previous KEKs (only to decrypt, during
    /// a rotation). A relative path is relative to proxy.yaml's folder.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>The KEK itself. For development; set <see cref="KeyFile"/> or this, not both.</summary>
    public string? Key { get; set; }

    /// <summary>Previous KEKs, only to decrypt values sealed before a rotation (they are re-encrypted with the current one at start).</summary>
    public IReadOnlyList<string> PreviousKeys { get; set; } = [];

    /// <summary>
    /// The one-time migration of a store written without a KEK: at start, a signing key or refresh-token secret found
    /// in clear is encrypted (and the clear signing keys retired early) instead of refused. Off by default, because
    /// with it on a value planted in clear in the store is accepted; a warning at every start says to remove it.
    /// </summary>
    public bool MigrateClearValues { get; set; }

    /// <summary>
    /// The keys in force: <see cref="KeyEncryption.None"/> when nothing is configured, null (with the problems
    /// added, each naming its key) when something configured is unusable.
    /// </summary>
    public KeyEncryption? Load(string configDirectory, List<ConfigProblem> problems)
    {
        const string section = SessionSettings.SectionName + ":KeyEncryption";
        const string expected = "32 random bytes in base64, for example the output of: openssl rand -base64 32";
        var before = problems.Count;
        byte[]? current = null;
        var previous = new List<byte[]>();
        if (!string.IsNullOrWhiteSpace(KeyFile) && !string.IsNullOrWhiteSpace(Key))
        {
            problems.Add(new ConfigProblem(section + ":Key", "set Session:KeyEncryption:KeyFile or Session:KeyEncryption:Key, not both"));
        }
        else if (!string.IsNullOrWhiteSpace(KeyFile))
        {
            var path = Path.GetFullPath(KeyFile, configDirectory);
            string[] lines;
            try
            {
                lines = [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add(new ConfigProblem(section + ":KeyFile", $"cannot read '{path}': {ex.Message}"));
                lines = [];
            }

            if (problems.Count == before && lines.Length == 0)
            {
                problems.Add(new ConfigProblem(section + ":KeyFile", $"'{path}' holds no key; expected {expected}"));
            }

            for (var i = 0; i < lines.Length; i++)
            {
                if (KeyEncryption.ParseKey(lines[i]) is not { } key)
                {
                    problems.Add(new ConfigProblem(section + ":KeyFile", $"line {i + 1} of the non-empty lines of '{path}' is not a key-encryption key; expected {expected}"));
                }
                else if (i == 0)
                {
                    current = key;
                }
                else
                {
                    previous.Add(key);
                }
            }
        }
        else if (!string.IsNullOrWhiteSpace(Key))
        {
            current = KeyEncryption.ParseKey(Key);
            if (current is null)
            {
                problems.Add(new ConfigProblem(section + ":Key", $"is not a key-encryption key; expected {expected}"));
            }
        }

        for (var i = 0; i < PreviousKeys.Count; i++)
        {
            if (KeyEncryption.ParseKey(PreviousKeys[i]) is { } key)
            {
                previous.Add(key);
            }
            else
            {
                problems.Add(new ConfigProblem($"{section}:PreviousKeys:{i}", $"is not a key-encryption key; expected {expected}"));
            }
        }

        if (problems.Count > before)
        {
            return null;
        }

        if (current is null && previous.Count > 0)
        {
            problems.Add(new ConfigProblem(section + ":PreviousKeys", "previous keys only decrypt: set the current key in Session:KeyEncryption:KeyFile or Session:KeyEncryption:Key"));
            return null;
        }

        if (current is null && MigrateClearValues)
        {
            problems.Add(new ConfigProblem(section + ":MigrateClearValues", "encrypts clear values with the key-encryption key: set Session:KeyEncryption:KeyFile or Session:KeyEncryption:Key too"));
            return null;
        }

        return current is null ? KeyEncryption.None : new KeyEncryption(current, previous, MigrateClearValues);
    }

    /// <summary>
    /// The key file and its mode (octal) when group or other users may read it; null when it is private, not set,
    /// missing, or on Windows. Checked at start, where the gateway warns.
    /// </summary>
    public (string Path, string Mode)? ExposedKeyFile(string configDirectory) => FileExposure.Exposed(KeyFile, configDirectory);

    // Records print every property; these are keys.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("KeyFile = ").Append(KeyFile)
            .Append(", Key = ").Append(string.IsNullOrEmpty(Key) ? "(unset)" : "(set)")
            .Append(", PreviousKeys = ").Append(PreviousKeys.Count)
            .Append(", MigrateClearValues = ").Append(MigrateClearValues);
        return true;
    }
}
