namespace SessionGateway.Configuration;

/// <summary>One fixed-window rate limit per client address: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
internal sealed record RateLimitRule
{
    public bool Enabled { get; init; } = true;

    public int PermitLimit { get; init; } = 60;

    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);
}
