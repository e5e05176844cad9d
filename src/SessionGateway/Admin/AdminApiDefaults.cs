namespace SessionGateway.Admin;

/// <summary>The names the admin API is known by: its authentication scheme, its paths, its OpenAPI group.</summary>
internal static class AdminApiDefaults
{
    /// <summary>The authentication scheme of the admin API key. No traffic route can name it: no policy outside the admin API does.</summary>
    public const string AuthenticationScheme = "AdminApiKey";

    /// <summary>Every admin path starts with this segment; on the management port only.</summary>
    public const string PathPrefix = "/admin";

    public const string OpenApiPath = PathPrefix + "/openapi.json";

    /// <summary>The API-explorer group of the admin endpoints: what the OpenAPI document shows and nothing else.</summary>
    public const string GroupName = "admin";

    /// <summary>The name of the bearer security scheme in the OpenAPI document.</summary>
    public const string SecuritySchemeName = "adminApiKey";
}
