using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SessionGateway.Admin;

/// <summary>
/// The admin API's OpenAPI document (<c>/admin/openapi.json</c>, ASP.NET Core's built-in generator): the admin
/// endpoints and nothing else (not the gateway's own endpoints, not the proxied routes), with the key as a bearer
/// security scheme required by every operation.
/// </summary>
internal static class AdminOpenApi
{
    /// <summary>The generator's document name: the path has no <c>{documentName}</c>, so the framework asks for its default.</summary>
    public const string DocumentName = "v1";

    public static void Configure(OpenApiOptions options)
    {
        options.ShouldInclude = description => description.GroupName == AdminApiDefaults.GroupName;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "SessionGateway admin API",
                Version = "1",
                Description = "Sessions and the audit trail, on the management listener only. Every operation needs the admin API key (Session:Admin:ApiKeyFile) as Authorization: Bearer <key>.",
            };
            // The generator lists the request's own scheme and Host header as the server: whatever a caller (or a
            // proxy, or a port-forward) put in Host. Without servers, a client resolves the paths against the URL it
            // fetched the document from (OpenAPI's default), which is the management listener it could reach.
            document.Servers = null;
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[AdminApiDefaults.SecuritySchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The admin API key (Session:Admin:ApiKeyFile or Session:Admin:ApiKey).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AdminApiDefaults.SecuritySchemeName, document)] = [] }];
            return Task.CompletedTask;
        });
    }
}
