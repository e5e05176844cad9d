namespace SessionGateway.Configuration;

/// <summary>One fixed-window rate limit per client address: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
internal sealed record RateLimitRule
{
    public bool Enabled { get; set; } = true;

    public int PermitLimit { get; set; } = 60;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
