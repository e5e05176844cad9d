namespace SessionGateway.Admin;

/// <summary>A client as the admin API shows it (the same names as the user's own session list).</summary>
internal sealed record AdminClient(string? Address, string? UserAgent)
{
    public static AdminClient? Of(Storage.ClientInfo? client) => client is null ? null : new AdminClient(client.Address, client.UserAgent);
}
