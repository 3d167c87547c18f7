using Microsoft.Extensions.DependencyInjection.Extensions;
using Wmtty.Api.Capabilities;
using Wmtty.Api.Errors;
using Wmtty.Api.Search;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Fhir;

/// <summary>The FHIR R4 REST API under <c>/fhir</c>.</summary>
internal static class FhirApi
{
    public static WebApplicationBuilder AddFhirApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FhirOptions>().BindConfiguration(FhirOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ResourceWriter>();
        builder.Services.AddSingleton<CapabilityStatementBuilder>();
        builder.Services.AddExceptionHandler<FhirExceptionHandler>();
        builder.Services.AddProblemDetails();
        return builder;
    }

    public static WebApplication MapFhir(this WebApplication app)
    {
        var fhir = app.MapGroup("/fhir")
            .RequireAuthorization()
            .AddEndpointFilter(async (context, next) =>
            {
                FhirFormats.Negotiate(context.HttpContext);
                return await next(context);
            });

        fhir.MapCapabilities();
        foreach (var type in ResourceTypes.Supported)
        {
            var resources = fhir.MapGroup($"/{type}");
            resources.MapSearch(type);
            resources.MapResourceInteractions(type);
        }

        return app;
    }
}
