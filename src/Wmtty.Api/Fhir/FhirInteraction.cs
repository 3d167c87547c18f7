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

/// <summary>
/// Endpoint metadata naming the FHIR operation an endpoint implements, e.g. (Observation, lastn), with
/// the canonical URL of its OperationDefinition. The CapabilityStatement lists these.
/// </summary>
internal sealed record FhirOperation(string ResourceType, string Name, string Definition);

internal static class FhirOperationExtensions
{
    public static RouteHandlerBuilder Operation(this RouteHandlerBuilder builder, string resourceType, string name, string definition, string summary, string? variant = null) =>
        builder.WithMetadata(new FhirOperation(resourceType, name, definition))
            .WithName($"{name}{variant}-{resourceType}")
            .WithSummary(summary)
            .WithTags(resourceType);
}
