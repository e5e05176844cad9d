using SessionGateway.Telemetry;

namespace SessionGateway.Configuration;

/// <summary>
/// The gateway's proxy.yaml: loaded once at start, then watched. An edit becomes the live configuration only
/// when it parses and passes <see cref="CandidateValidator"/>; otherwise the last good document stays in force
/// and every problem is logged. This is what makes a broken edit harmless: no consumer (YARP, options) ever
/// sees a half-valid configuration.
/// </summary>
internal sealed partial class ProxyYamlFile : IDisposable
{
    // Editors write in several steps (truncate, write, rename); wait for the burst to settle before reading.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _settleTimer;
    private string _appliedText;

    private ProxyYamlFile(string path, string text, YamlDocument document, TimeProvider time)
    {
        Path = path;
        _appliedText = text;
        Current = document;
        _time = time;
    }

    /// <summary>Absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>The configuration in force.</summary>
    public YamlDocument Current { get; private set; }

    /// <summary>Checks a reloaded document before it is applied; set once the application is built.</summary>
    public Func<YamlDocument, IReadOnlyList<ConfigProblem>>? CandidateValidator { get; set; }

    /// <summary>Where reload outcomes are reported; set once logging exists.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Counts applied and rejected edits (<c>sessiongateway.config.reloads</c>); set once the services exist.</summary>
    public SessionMetrics? Metrics { get; set; }

    /// <summary>Raised after <see cref="Current"/> was replaced by a valid edit.</summary>
    public event Action<YamlDocument>? Changed;

    public static ProxyYamlLoadResult Load(string path, TimeProvider time)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ProxyYamlLoadResult(null, [new ConfigProblem("", $"cannot read configuration file '{fullPath}': {ex.Message}")]);
        }

        var parsed = YamlDocumentParser.Parse(fullPath, text);
        return parsed.Document is null
            ? new ProxyYamlLoadResult(null, parsed.Problems)
            : new ProxyYamlLoadResult(new ProxyYamlFile(fullPath, text, parsed.Document, time), []);
    }

    /// <summary>
    /// Starts watching the file for edits: its folder only, not the folders below it, and of the events there only
    /// those that can be an edit of the file. The session database often lives in the same folder (the committed
    /// proxy.yaml puts it there), and every commit writes its log: a watch that took each of those writes for a
    /// possible edit (as a file provider's recursive watch does) cost about 40 us of CPU per refresh.
    /// </summary>
    public void Watch()
    {
        _watcher = FileWatch.Start(Path, ScheduleReload);
    }

    /// <summary>Reads the file now and applies it if it is valid. Returns the problems that kept it out.</summary>
    public IReadOnlyList<ConfigProblem> Reload()
    {
        lock (_gate)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var problem = new ConfigProblem("", $"cannot read configuration file: {ex.Message}");
                Metrics?.ConfigReloaded(applied: false);
                if (Logger is { } logger)
                {
                    Log.ReloadRejected(logger, Path, 1, problem.ToString());
                }

                return [problem];
            }

            if (string.Equals(text, _appliedText, StringComparison.Ordinal))
            {
                return [];
            }

            var parsed = YamlDocumentParser.Parse(Path, text);
            var problems = parsed.Document is null
                ? parsed.Problems
                : CandidateValidator?.Invoke(parsed.Document) ?? [];
            if (problems.Count > 0)
            {
                Metrics?.ConfigReloaded(applied: false);
                if (Logger is { } logger)
                {
                    foreach (var problem in problems)
                    {
                        Log.ReloadRejected(logger, Path, problems.Count, problem.ToString());
                    }
                }

                return problems;
            }

            _appliedText = text;
            Current = parsed.Document!;
            Metrics?.ConfigReloaded(applied: true);
            if (Logger is { } log)
            {
                Log.Reloaded(log, Path);
            }
        }

        Changed?.Invoke(Current);
        return [];
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
        // A timer callback that throws ends the process; whatever goes wrong, the running configuration stays.
        try
        {
            Reload();
        }
        catch (Exception ex)
        {
            if (Logger is { } logger)
            {
                Log.ReloadFailed(logger, Path, ex);
            }
        }
    }

    public void Dispose()
    {
        _settleTimer?.Dispose();
        _watcher?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "Configuration reloaded from {Path}")]
        public static partial void Reloaded(ILogger logger, string path);

        [LoggerMessage(4002, LogLevel.Error, "Configuration edit in {Path} rejected ({Count} problem(s)); the last good configuration stays in force: {Problem}")]
        public static partial void ReloadRejected(ILogger logger, string path, int count, string problem);

        [LoggerMessage(4003, LogLevel.Error, "Configuration edit in {Path} could not be applied; the last good configuration stays in force")]
        public static partial void ReloadFailed(ILogger logger, string path, Exception exception);
    }
}
