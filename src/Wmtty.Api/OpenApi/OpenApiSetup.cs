using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.Swagger;

namespace Wmtty.Api.OpenApi;

/// <summary>The OpenAPI document (Swashbuckle), its UI, and its export to <c>openapi/</c>.</summary>
internal static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string BearerScheme = "Bearer";
    public const string ExportArgument = "--export-openapi";

    public static WebApplicationBuilder AddWmttyOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Wmtty: What Matters To You",
                Version = DocumentName,
                Description = """
                    A FHIR R4 service for patients' "What Matters To You" preferences. The FHIR endpoints under /fhir
                    speak application/fhir+json (and application/fhir+xml); errors are FHIR OperationOutcomes.
                    Every /fhir endpoint except /fhir/metadata needs a bearer token from Microsoft Entra ID. When the
                    service runs in Development, GET /dev/token?role=clinician returns a local test token.
                    """,
            });
            options.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token from Microsoft Entra ID for the Wmtty API (or, in Development, from /dev/token).",
            });
            options.OperationFilter<FhirOperationFilter>();
            options.SupportNonNullableReferenceTypes();
        });
        return builder;
    }

    public static WebApplication MapWmttyOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "Wmtty v1");
            options.DocumentTitle = "Wmtty API";
        });
        return app;
    }

    /// <summary>
    /// <c>dotnet run --project src/Wmtty.Api -- --export-openapi openapi/wmtty.v1.json</c> writes the document
    /// the running service serves, then exits without listening.
    /// </summary>
    public static bool TryExport(WebApplication app, string[] args)
    {
        var index = Array.IndexOf(args, ExportArgument);
        if (index < 0)
        {
            return false;
        }

        var path = index + 1 < args.Length ? args[index + 1] : Path.Combine("openapi", "wmtty.v1.json");
        var document = app.Services.GetRequiredService<ISwaggerProvider>().GetSwagger(DocumentName);
        using var writer = new StringWriter();
        document.SerializeAsV3(new OpenApiJsonWriter(writer));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, writer.ToString() + "\n");
        Console.WriteLine($"Wrote the OpenAPI document to {Path.GetFullPath(path)}");
        return true;
    }
}
