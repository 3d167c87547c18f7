using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.OpenApi;

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
            options.SchemaFilter<FhirSchemaFilter>();
            options.CustomSchemaIds(type => type.Name.EndsWith("Schema", StringComparison.Ordinal) ? type.Name[..^"Schema".Length] : type.Name);
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
    /// <c>dotnet run --project src/Wmtty.Api -- --export-openapi</c> writes the document the service
    /// serves at /swagger/v1/swagger.json to <c>openapi/wmtty.v1.json</c> in the repository (or to the
    /// path given after the flag), then stops. It listens briefly on a free loopback port to fetch it,
    /// so the file is byte for byte what clients get; it does not touch the database.
    /// </summary>
    public static async Task<bool> TryExportAsync(WebApplication app, string[] args)
    {
        var index = Array.IndexOf(args, ExportArgument);
        if (index < 0)
        {
            return false;
        }

        var path = index + 1 < args.Length ? Path.GetFullPath(args[index + 1]) : DefaultExportPath();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var document = await client.GetStringAsync($"/swagger/{DocumentName}/swagger.json");
            await File.WriteAllTextAsync(path, document);
            Console.WriteLine($"Wrote the OpenAPI document to {path}");
        }
        finally
        {
            await app.StopAsync();
        }

        return true;
    }

    // dotnet run starts in the project folder; the document lives beside Wmtty.sln.
    private static string DefaultExportPath()
    {
        for (var folder = new DirectoryInfo(Directory.GetCurrentDirectory()); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Wmtty.sln")))
            {
                return Path.Combine(folder.FullName, "openapi", "wmtty.v1.json");
            }
        }

        throw new InvalidOperationException("Wmtty.sln was not found above the working folder; give the output path after --export-openapi.");
    }
}
