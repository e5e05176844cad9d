using Microsoft.Extensions.Logging;

namespace SessionGateway.Tests.Admin;

/// <summary>Keeps every log line (event id and formatted message) in memory, for asserting what was logged and what never was.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly List<(int EventId, string Message)> _lines = [];

    public IReadOnlyList<(int EventId, string Message)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (provider._lines)
            {
                provider._lines.Add((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
