using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;

namespace Wmtty.Api.Capabilities;

internal static class CapabilityEndpoints
{
    public static void MapCapabilities(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/metadata", (HttpContext http, CapabilityStatementBuilder builder) =>
                FhirResult.Of(StatusCodes.Status200OK, builder.Build(FhirRequest.BaseUrl(http))))
            .AllowAnonymous()
            .WithName("capabilities")
            .WithSummary("The CapabilityStatement: what this server supports, generated from its endpoints")
            .WithTags("Capabilities")
            .ProducesFhir(StatusCodes.Status200OK);
    }
}
