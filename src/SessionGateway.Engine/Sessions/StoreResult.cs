namespace SessionGateway.Sessions;

/// <summary>
/// The value of an engine operation that needs the store, or the fact that the store was unavailable (the
/// HTTP layer answers 503 with <c>Retry-After</c> and leaves the client's tokens alone). An outage is an
/// expected failure, so it is a value, never an exception.
/// </summary>
internal readonly record struct StoreResult<T>
{
    private StoreResult(T? value, bool unavailable)
    {
        Value = value;
        IsUnavailable = unavailable;
    }

    public static StoreResult<T> Unavailable { get; } = new(default, true);

    /// <summary>Set unless <see cref="IsUnavailable"/>.</summary>
    public T? Value { get; }

    public bool IsUnavailable { get; }

    /// <summary>A value (also for interface-typed values, which the implicit conversion does not take).</summary>
    public static StoreResult<T> Success(T value) => new(value, false);

    public static implicit operator StoreResult<T>(T value) => new(value, false);
}
