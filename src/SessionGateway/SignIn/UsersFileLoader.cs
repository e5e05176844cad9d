using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using SessionGateway.Configuration;
using SessionGateway.Proxy;

namespace SessionGateway.SignIn;

/// <summary>
/// Reads an htpasswd file (<c>user:hash</c> per line). Only bcrypt hashes are accepted (<c>$2y$</c>, which
/// <c>htpasswd -B</c> writes, and <c>$2a$</c>/<c>$2b$</c>): htpasswd's other kinds (apr1 MD5, <c>{SHA}</c>, crypt,
/// plain text) are fast to brute-force or not hashes at all, so their users are refused, never accepted.
/// </summary>
internal static partial class UsersFileLoader
{
    public const string Key = SessionSettings.SectionName + ":Login:UsersFile";

    // A cost above 17 (htpasswd's own limit) takes seconds per check: a handful of sign-ins would occupy every core.
    private const int MinCost = 4;
    private const int MaxCost = 17;

    /// <summary>The file's absolute path (relative to proxy.yaml's folder), or null when no users file is configured.</summary>
    public static string? Resolve(LoginSettings login, string configDirectory) =>
        string.IsNullOrWhiteSpace(login.UsersFile) ? null : Path.GetFullPath(login.UsersFile, configDirectory);

    /// <summary>Adds a problem (naming <see cref="Key"/>) for a configured users file that cannot be used.</summary>
    public static void Check(LoginSettings login, string configDirectory, List<ConfigProblem> problems)
    {
        if (Resolve(login, configDirectory) is not { } path)
        {
            return;
        }

        foreach (var problem in Read(path).Problems)
        {
            problems.Add(new ConfigProblem(Key, problem));
        }
    }

    /// <summary>Reads and parses the file; a file that cannot be read is a reading with one problem.</summary>
    public static UsersFileContent Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new UsersFileContent("", FrozenDictionary<string, string>.Empty, [$"cannot read '{path}': {ex.Message}"], []);
        }

        return Parse(path, text);
    }

    public static UsersFileContent Parse(string path, string text)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<string>();
        var refused = new List<RefusedUserLine>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                // The line is not shown: it could be a password somebody pasted.
                problems.Add($"'{path}' line {number} is not 'user:hash' (htpasswd -B writes such lines)");
                continue;
            }

            var user = line[..colon];
            var hash = line[(colon + 1)..].Trim();
            if (UserIds.Problem(user) is { } userProblem)
            {
                problems.Add($"'{path}' line {number}: the user name cannot be a user id: {userProblem}");
                continue;
            }

            if (firstLine.TryGetValue(user, out var first))
            {
                problems.Add($"'{path}' line {number}: user '{user}' is listed again (first on line {first})");
                continue;
            }

            firstLine[user] = number;
            if (HashProblem(hash) is { } reason)
            {
                refused.Add(new RefusedUserLine(number, reason));
                continue;
            }

            users[user] = hash;
        }

        return new UsersFileContent(text, users.ToFrozenDictionary(StringComparer.Ordinal), problems, refused);
    }

    /// <summary>The cost of a hash that passed <see cref="HashProblem"/>.</summary>
    public static int Cost(string hash) => int.Parse(hash.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Why <paramref name="hash"/> is not accepted, or null for a usable bcrypt hash.</summary>
    internal static string? HashProblem(string hash)
    {
        if (Bcrypt().IsMatch(hash))
        {
            var cost = Cost(hash);
            return cost is < MinCost or > MaxCost ? $"bcrypt cost {cost} is outside {MinCost}..{MaxCost}" : null;
        }

        var kind = hash switch
        {
            _ when hash.StartsWith("$apr1$", StringComparison.Ordinal) => "an MD5 (apr1) hash",
            _ when hash.StartsWith("{SHA}", StringComparison.Ordinal) => "a SHA-1 hash",
            _ when hash.StartsWith("$5$", StringComparison.Ordinal) || hash.StartsWith("$6$", StringComparison.Ordinal) => "a SHA-2 crypt hash",
            _ when hash.StartsWith("$2", StringComparison.Ordinal) => "not a well-formed bcrypt hash of revision 2a, 2b or 2y",
            _ => "a crypt(3) hash or a plain-text password",
        };
        return $"the password is {kind}; only bcrypt hashes ($2y$, $2a$, $2b$: htpasswd -B) are accepted";
    }

    // $2y$NN$ then 22 characters of salt and 31 of hash, in bcrypt's base64 alphabet.
    [GeneratedRegex(@"\A\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Bcrypt();
}
