using Microsoft.AspNetCore.Authentication;

namespace SessionGateway.Admin;

/// <summary>Options of the admin API key scheme (<see cref="AdminKeyHandler"/>).</summary>
internal sealed class AdminKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>The key that authenticates; null refuses every request (fail closed).</summary>
    public AdminApiKey? Key { get; set; }
}
