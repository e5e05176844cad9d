using SessionGateway.Sessions;

namespace SessionGateway.Management;

/// <summary>
/// The gateway's readiness for <c>/readyz</c>: started (configuration loaded, store opened, signing keys loaded), not
/// draining, signing keys current (the last reload opened every key in the store, one signs now), and the store
/// answering. The store check is one cheap read with a short timeout, shared by concurrent
/// probes and reused for <see cref="StoreCheckInterval"/>, so a storm of probes costs the store one read a second.
/// </summary>
internal sealed partial class GatewayReadiness
{
    /// <summary>How long one store check's answer is reused.</summary>
    public static readonly TimeSpan StoreCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>A store read slower than this counts as an outage (a Kubernetes probe's own timeout is 1 s by default).</summary>
    public static readonly TimeSpan StoreCheckTimeout = TimeSpan.FromMilliseconds(800);

    private readonly SessionEngine _engine;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<GatewayReadiness> _logger;
    private readonly Lock _lock = new();
    private StoreCheck? _last;
    private bool _storeWasDown;
    private int _keysWereStale;
    private volatile bool _draining;

    public GatewayReadiness(SessionEngine engine, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<GatewayReadiness> logger)
    {
        _engine = engine;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;

        // On SIGTERM the host's console lifetime signals "stopping" at once, before the hosted services are asked to
        // stop: readiness turns at the earliest moment either way.
        lifetime.ApplicationStopping.Register(static state => ((GatewayReadiness)state!).BeginDrain(), this);
    }

    public bool IsDraining => _draining;

    /// <summary>From now on <c>/readyz</c> answers "draining"; traffic is still served.</summary>
    public void BeginDrain() => _draining = true;

    public async Task<Readiness> CheckAsync(CancellationToken cancellationToken)
    {
        if (_draining)
        {
            return Readiness.Draining;
        }

        if (!_lifetime.ApplicationStarted.IsCancellationRequested || !_engine.IsInitialized)
        {
            return Readiness.Starting;
        }

        if (!SigningKeysCurrent())
        {
            return Readiness.SigningKeys;
        }

        var available = await CurrentStoreCheck().WaitAsync(cancellationToken);
        return _draining ? Readiness.Draining : available ? Readiness.Ready : Readiness.StoreUnavailable;
    }

    /// <summary>The engine's answer (no store call: it reads what the last key reload left), logged when it turns.</summary>
    private bool SigningKeysCurrent()
    {
        var current = _engine.AreSigningKeysCurrent;
        if (Interlocked.Exchange(ref _keysWereStale, current ? 0 : 1) == (current ? 1 : 0))
        {
            if (current)
            {
                Log.KeysBack(_logger);
            }
            else
            {
                Log.KeysStale(_logger);
            }
        }

        return current;
    }

    /// <summary>The check in progress or the last one, when it began less than <see cref="StoreCheckInterval"/> ago; else a new one.</summary>
    private Task<bool> CurrentStoreCheck()
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && _time.GetElapsedTime(last.StartedAt) < StoreCheckInterval)
        {
            return last.Available;
        }

        lock (_lock)
        {
            last = _last;
            if (last is null || _time.GetElapsedTime(last.StartedAt) >= StoreCheckInterval)
            {
                // Not tied to the probe's request: a probe that gives up does not cancel the answer the next one reuses.
                last = new StoreCheck(_time.GetTimestamp(), CheckStoreAsync());
                Volatile.Write(ref _last, last);
            }

            return last.Available;
        }
    }

    private async Task<bool> CheckStoreAsync()
    {
        var available = await _engine.IsStoreAvailableAsync(StoreCheckTimeout, CancellationToken.None);
        lock (_lock)
        {
            if (available == _storeWasDown)
            {
                _storeWasDown = !available;
                if (available)
                {
                    Log.StoreBack(_logger);
                }
                else
                {
                    Log.StoreDown(_logger, StoreCheckTimeout.TotalMilliseconds);
                }
            }
        }

        return available;
    }

    private sealed record StoreCheck(long StartedAt, Task<bool> Available);

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Warning, "Not ready: the session store did not answer a read within {TimeoutMs} ms; /readyz answers 503 until it does")]
        public static partial void StoreDown(ILogger logger, double timeoutMs);

        [LoggerMessage(5002, LogLevel.Information, "Ready again: the session store answers")]
        public static partial void StoreBack(ILogger logger);

        [LoggerMessage(5005, LogLevel.Error,
            "Not ready: the signing keys are not current (the last reload met a key the configured key-encryption keys cannot open, see event 1456, or no loaded key signs now); /readyz answers 503 until a reload succeeds")]
        public static partial void KeysStale(ILogger logger);

        [LoggerMessage(5006, LogLevel.Information, "Ready again: the signing keys reloaded")]
        public static partial void KeysBack(ILogger logger);
    }
}
