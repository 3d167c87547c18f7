namespace Wmtty.Api.Fhir;

/// <summary>
/// Endpoint metadata naming the FHIR interaction an endpoint implements, e.g. (Patient, read). The
/// CapabilityStatement is built from these, and authorization can key off them. <see cref="Conditional"/>
/// marks the search-driven variant (conditional update).
/// </summary>
internal sealed record FhirInteraction(string ResourceType, string Code, bool Conditional = false)
{
    public const string Read = "read";
    public const string VRead = "vread";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string HistoryInstance = "history-instance";
    public const string Create = "create";
    public const string SearchType = "search-type";
}

internal static class FhirInteractionExtensions
{
    public static RouteHandlerBuilder Interaction(this RouteHandlerBuilder builder, string resourceType, string code, string summary, string? variant = null, bool conditional = false) =>
        builder.WithMetadata(new FhirInteraction(resourceType, code, conditional))
            .WithName($"{code}{variant}-{resourceType}")
            .WithSummary(summary)
            .WithTags(resourceType);
}
