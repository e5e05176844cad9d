using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.SignIn;

/// <summary>
/// The users of <c>Session:Login:UsersFile</c>: read at start, then watched like proxy.yaml. An edit is applied only
/// when the whole file reads; otherwise the last good users stay and the problems are logged. Passwords are checked
/// with bcrypt in (nearly) the same time whether the user exists or not.
/// </summary>
internal sealed partial class UsersFile : IDisposable
{
    // Editors write in several steps (truncate, write, rename); wait for the burst to settle before reading.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    // One dummy hash per cost for the process: made once (it costs one bcrypt run), of a random password nobody knows.
    private static readonly ConcurrentDictionary<int, string> DummyHashes = new();

    // Password checks running at once, for the whole process (see VerifyAsync).
    private static readonly SemaphoreSlim Checks = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>How long a sign-in waits for a check slot before it is answered "busy".</summary>
    internal static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(5);

    /// <summary>The check slots, for tests that fill them.</summary>
    internal static SemaphoreSlim CheckSlots => Checks;

    private readonly TimeProvider _time;
    private readonly ILogger<UsersFile> _logger;
    private readonly object _gate = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _settleTimer;
    private volatile Snapshot _current;

    /// <summary>
    /// Reads the file (the configuration checks already refused a start with an unusable one) and logs refused lines.
    /// <paramref name="time"/> only paces the settle delay after a file event; file events come on the real clock.
    /// </summary>
    public UsersFile(string path, TimeProvider time, ILogger<UsersFile> logger)
    {
        Path = path;
        _time = time;
        _logger = logger;
        var content = UsersFileLoader.Read(path);
        foreach (var problem in content.Problems)
        {
            Log.ReloadRejected(logger, path, problem);
        }

        _current = new Snapshot(content, DummyHash(content.UsualCost));
        Announce(content);
    }

    /// <summary>Absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>How many users can sign in now.</summary>
    public int Count => _current.Content.Users.Count;

    /// <summary>
    /// <see cref="Verify"/> once a check slot is free. bcrypt holds a thread for its whole run (tens to hundreds of
    /// milliseconds); at most half the cores check passwords at once, so a burst of sign-ins waits here, without a
    /// thread, instead of taking every thread-pool thread from the requests being proxied.
    /// </summary>
    public async Task<PasswordCheck> VerifyAsync(string user, string password, CancellationToken cancellationToken)
    {
        // The wait is bounded: a flood of sign-ins (each within its address's rate limit) must not queue real users
        // for ever; past MaxQueueWait the answer is "busy, try again" (503).
        using var timeout = new CancellationTokenSource(MaxQueueWait, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await Checks.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PasswordCheck.Busy;
        }

        try
        {
            return new PasswordCheck(Verify(user, password), IsBusy: false);
        }
        finally
        {
            Checks.Release();
        }
    }

    /// <summary>
    /// The user id when <paramref name="password"/> is <paramref name="user"/>'s, else null. An unknown user costs a
    /// bcrypt check against a dummy hash of the file's usual cost, and the result is compared in constant time, so
    /// neither the time nor the answer tells an unknown user from a wrong password.
    /// </summary>
    public string? Verify(string user, string password)
    {
        var snapshot = _current;
        var known = snapshot.Content.Users.TryGetValue(user, out var hash);
        var matches = Matches(password, known ? hash! : snapshot.DummyHash);
        return known && matches ? user : null;
    }

    private static bool Matches(string password, string hash)
    {
        string computed;
        try
        {
            // The stored hash is the salt (revision, cost and salt are its first 29 characters); the library keeps
            // the revision ($2y$ stays $2y$), so a right password gives back exactly the stored text.
            computed = BCrypt.Net.BCrypt.HashPassword(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(hash));
    }

    private static string DummyHash(int cost) =>
        DummyHashes.GetOrAdd(cost, static c => BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), c));

    /// <summary>Watches the file's folder (not the folders below it) for edits of the file.</summary>
    public void Watch()
    {
        _watcher = Configuration.FileWatch.Start(Path, ScheduleReload, attributes: true);
    }

    /// <summary>Reads the file now and applies it when it reads whole. Returns the problems that kept it out.</summary>
    public IReadOnlyList<string> Reload()
    {
        lock (_gate)
        {
            var content = UsersFileLoader.Read(Path);
            if (content.Problems.Count > 0)
            {
                foreach (var problem in content.Problems)
                {
                    Log.ReloadRejected(_logger, Path, problem);
                }

                return content.Problems;
            }

            if (string.Equals(content.Text, _current.Content.Text, StringComparison.Ordinal))
            {
                return [];
            }

            _current = new Snapshot(content, DummyHash(content.UsualCost));
            Announce(content);
            return [];
        }
    }

    private void Announce(UsersFileContent content)
    {
        foreach (var line in content.Refused)
        {
            Log.LineRefused(_logger, Path, line.Line, line.Reason);
        }

        if (content.Problems.Count == 0)
        {
            Log.Loaded(_logger, Path, content.Users.Count, content.Refused.Count);
        }

        if (Configuration.FileExposure.ExposedMode(Path) is { } mode)
        {
            Log.Exposed(_logger, Path, mode);
        }
    }

    private void ScheduleReload()
    {
        lock (_gate)
        {
            _settleTimer ??= _time.CreateTimer(_ => ReloadOnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _settleTimer.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    private void ReloadOnTimer()
    {
        // A timer callback that throws ends the process; whatever goes wrong, the users in force stay.
        try
        {
            Reload();
        }
        catch (Exception ex)
        {
            Log.ReloadFailed(_logger, Path, ex);
        }
    }

    public void Dispose()
    {
        _settleTimer?.Dispose();
        _watcher?.Dispose();
    }

    /// <summary>The users in force and the dummy hash for their usual cost, swapped together.</summary>
    private sealed record Snapshot(UsersFileContent Content, string DummyHash);

    private static partial class Log
    {
        [LoggerMessage(2230, LogLevel.Information, "Users file {Path} loaded: {Count} user(s), {Refused} line(s) refused")]
        public static partial void Loaded(ILogger logger, string path, int count, int refused);

        [LoggerMessage(2231, LogLevel.Warning, "Users file {Path} line {Line} refused: {Reason}; that user cannot sign in")]
        public static partial void LineRefused(ILogger logger, string path, int line, string reason);

        [LoggerMessage(2232, LogLevel.Error, "Users file edit rejected; the last good users stay in force: {Problem} ({Path})")]
        public static partial void ReloadRejected(ILogger logger, string path, string problem);

        [LoggerMessage(2233, LogLevel.Error, "Users file {Path} could not be reloaded; the last good users stay in force")]
        public static partial void ReloadFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(2234, LogLevel.Warning,
            "Session:Login:UsersFile {Path} has mode {Mode}: group or other users can read the password hashes (and try to crack them offline); run chmod 0400 (or 0600) on it")]
        public static partial void Exposed(ILogger logger, string path, string mode);
    }
}
