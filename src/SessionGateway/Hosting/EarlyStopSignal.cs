using System.Runtime.InteropServices;

namespace SessionGateway.Hosting;

/// <summary>
/// SIGTERM and SIGINT from the first line of <c>Main</c> until the host's console lifetime takes over (it registers its
/// own handlers only when the host starts, after the configuration is read and the application built). Without this,
/// a stop asked for in that second or so gets the runtime's default (the process dies by the signal: exit 143); with
/// it, the stop is remembered and handed to the application as soon as there is one, which then stops cleanly.
/// </summary>
internal sealed class EarlyStopSignal : IDisposable
{
#pragma warning disable CA2213 // see Dispose
    private readonly CancellationTokenSource _requested = new();
#pragma warning restore CA2213
    private readonly PosixSignalRegistration[] _registrations;

    public EarlyStopSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        ];
    }

    /// <summary>Whether a stop signal has arrived.</summary>
    public bool IsRequested => _requested.IsCancellationRequested;

    /// <summary>
    /// From now on (and at once, if a signal already came) a stop signal stops <paramref name="lifetime"/>'s
    /// application; the host's own handlers do the same once it has started.
    /// </summary>
    public void Forward(IHostApplicationLifetime lifetime) =>
        _requested.Token.Register(static state => ((IHostApplicationLifetime)state!).StopApplication(), lifetime);

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        // The token source is left to the collector: a signal handled on the runtime's signal thread while the
        // registrations are removed may still cancel it.
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Not the runtime's default (terminate): the stop is a graceful one, done by the host.
        context.Cancel = true;
        _requested.Cancel();
    }
}
