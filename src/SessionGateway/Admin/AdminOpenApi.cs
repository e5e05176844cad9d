using System.Globalization;
using System.Text.Json.Nodes;
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
        // The web JSON defaults read numbers from strings too, so the generator types every integer "integer or string
        // with a pattern". The admin API writes numbers as numbers: say so.
        options.AddSchemaTransformer((schema, _, _) =>
        {
            if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Integer) && type.HasFlag(JsonSchemaType.String))
            {
                schema.Type = type & ~JsonSchemaType.String;
                schema.Pattern = null;
            }

            return Task.CompletedTask;
        });
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

    /// <summary>
    /// The query parameters of <c>GET /admin/events</c> as the API reads them. The handler declares them as text, so
    /// that <see cref="AdminEventsQuery"/> (not the framework's binding) answers a bad value with a message naming it;
    /// the document gives their real types.
    /// </summary>
    public static Task DescribeEventQuery(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter described)
            {
                continue;
            }

            described.Schema = described.Name switch
            {
                "since" => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                "type" => new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. Sessions.SessionEventTypes.All.Select(t => (JsonNode)JsonValue.Create(t))] },
                },
                "limit" => new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Format = "int32",
                    Minimum = "1",
                    Maximum = AdminEventsQuery.MaxLimit.ToString(CultureInfo.InvariantCulture),
                    Default = JsonValue.Create(AdminEventsQuery.DefaultLimit),
                },
                _ => new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        return Task.CompletedTask;
    }
}
