using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Search;

/// <summary>
/// One search parameter: its FHIR name, type and canonical definition, and how to pick the values it
/// indexes out of a resource. <see cref="TargetTypes"/> limits which reference targets it keeps; with
/// <see cref="TargetTypeRequired"/>, a reference whose target type is unknown is not kept either.
/// </summary>
public sealed record SearchParameterDefinition(
    string ResourceType,
    string Name,
    SearchParamType Type,
    string Url,
    string Description,
    Func<Resource, IEnumerable<Base?>> Select,
    IReadOnlyList<string> TargetTypes,
    bool TargetTypeRequired);
