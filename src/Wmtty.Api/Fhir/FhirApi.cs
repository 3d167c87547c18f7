using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Preferences;
using Wmtty.Api.Measures;
using Wmtty.Api.Rights;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wmtty.Api.Capabilities;
using Wmtty.Api.Errors;
using Wmtty.Api.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>The FHIR R4 REST API under <c>/fhir</c>.</summary>
internal static class FhirApi
{
    public static WebApplicationBuilder AddFhirApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FhirOptions>().BindConfiguration(FhirOptions.Section)
            .Validate(options => options.HasValidBaseUrl(), "Fhir:BaseUrl must be an absolute http or https URL, such as https://wmtty.example.nhs.uk/fhir.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ResourceWriter>();
        builder.Services.AddSingleton<Access.AccessPolicy>();
        builder.Services.AddSingleton<Access.AuditTrail>();
        builder.Services.AddSingleton<VersionStamper>();
        builder.Services.AddSingleton<CapabilityStatementBuilder>();
        builder.Services.AddExceptionHandler<FhirExceptionHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.AddRequestDecompression();
        return builder;
    }

    public static WebApplication MapFhir(this WebApplication app)
    {
        var fhir = app.MapGroup("/fhir")
            .RequireAuthorization()
            .AddEndpointFilter(async (context, next) =>
            {
                RequireExactPath(context.HttpContext);
                FhirFormats.Negotiate(context.HttpContext);
                return await next(context);
            })
            .RequireFhirAccess(); // permissions, a patient's own Patient, and the audit record: for every endpoint below

        fhir.MapCapabilities();
        foreach (var type in ResourceTypes.Supported)
        {
            var resources = fhir.MapGroup($"/{type}");
            resources.MapSearch(type);
            resources.MapResourceInteractions(type);
        }

        var canonicalBase = app.Services.GetRequiredService<IOptions<DefinitionOptions>>().Value.CanonicalBase;
        fhir.MapPreferences(canonicalBase); // $lastn, $wmtty-summary
        fhir.MapResponseOperations(); // $populate, $extract
        fhir.MapAuditEvents();        // AuditEvent read and search, from the audit trail
        fhir.MapPatientRights(canonicalBase); // $everything (the right of access) and $erase (the right to erasure)
        fhir.MapOutcomeMeasures();    // Measure/{id}/$evaluate-measure: the de-identified outcome figures

        return app;
    }

    // Routing matches literal segments ignoring case, but FHIR type names are case-sensitive:
    // /fhir/patient is not /fhir/Patient.
    private static void RequireExactPath(HttpContext context)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint)
        {
            return;
        }

        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var pattern = endpoint.RoutePattern.PathSegments;
        for (var i = 0; i < pattern.Count && i < segments.Length; i++)
        {
            if (pattern[i].IsSimple && pattern[i].Parts[0] is RoutePatternLiteralPart literal && !string.Equals(literal.Content, segments[i], StringComparison.Ordinal))
            {
                throw FhirException.NotFound($"'{FhirText.Shorten(segments[i], 64)}' is not known here; names are case-sensitive (did you mean '{literal.Content}'?).");
            }
        }
    }
}
