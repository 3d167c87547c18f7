using Wmtty.Api.Fhir;

namespace Wmtty.Api.OpenApi;

/// <summary>Describes FHIR request and response bodies to the OpenAPI document.</summary>
internal static class FhirEndpointMetadata
{
    private static readonly string[] ResponseMediaTypes = [FhirFormats.XmlMediaType];

    public static RouteHandlerBuilder AcceptsFhir(this RouteHandlerBuilder builder) =>
        builder.Accepts<FhirResourceSchema>(FhirFormats.JsonMediaType, FhirFormats.RequestMediaTypes[1..]);

    public static RouteHandlerBuilder ProducesFhir(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.Produces<FhirResourceSchema>(statusCode, FhirFormats.JsonMediaType, ResponseMediaTypes);
        }

        return builder;
    }
}
