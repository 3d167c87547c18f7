using Hl7.Fhir.Model;
using Wmtty.Fhir.Resources;

namespace Wmtty.Fhir.Search;

/// <summary>
/// The search parameters the service supports for each resource type. Names, types, targets and
/// definitions are those of FHIR R4 (from the SDK's own table); only the way values are picked out
/// is written here, as plain code rather than FHIRPath, because it runs on every write.
/// </summary>
public static class SearchParameters
{
    private static readonly Dictionary<string, Dictionary<string, SearchParameterDefinition>> ByType = Build();

    /// <summary>The parameters every type has, handled by the store itself rather than index rows.</summary>
    public static IReadOnlyList<(string Name, SearchParamType Type, string Url, string Description)> Common { get; } =
    [
        ("_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id", "Logical id of this artifact"),
        ("_lastUpdated", SearchParamType.Date, "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated", "When the resource version last changed"),
    ];

    public static IReadOnlyCollection<SearchParameterDefinition> For(string resourceType) =>
        ByType.TryGetValue(resourceType, out var parameters) ? parameters.Values : [];

    public static SearchParameterDefinition? Find(string resourceType, string name) =>
        ByType.TryGetValue(resourceType, out var parameters) && parameters.TryGetValue(name, out var definition) ? definition : null;

    private static Dictionary<string, Dictionary<string, SearchParameterDefinition>> Build()
    {
        var definitions = new List<SearchParameterDefinition>
        {
            Define<Patient>("identifier", p => p.Identifier),
            Define<Patient>("name", p => p.Name),
            Define<Patient>("family", p => p.Name.Select(n => n.FamilyElement), description: "A portion of the family name of the patient"),
            Define<Patient>("given", p => p.Name.SelectMany(n => n.GivenElement), description: "A portion of the given name of the patient"),
            Define<Patient>("birthdate", p => [p.BirthDateElement], description: "The patient's date of birth"),
            Define<Patient>("gender", p => [p.GenderElement], description: "Gender of the patient"),
            Define<Patient>("active", p => [p.ActiveElement]),
            Define<Patient>("language", p => p.Communication.Select(c => c.Language)),
            Define<Patient>("general-practitioner", p => p.GeneralPractitioner),

            Define<Questionnaire>("url", q => [q.UrlElement]),
            Define<Questionnaire>("version", q => [q.VersionElement]),
            Define<Questionnaire>("status", q => [q.StatusElement]),
            Define<Questionnaire>("name", q => [q.NameElement]),
            Define<Questionnaire>("title", q => [q.TitleElement]),
            Define<Questionnaire>("identifier", q => q.Identifier),
            Define<Questionnaire>("code", q => q.Item.SelectMany(i => i.Code)),

            Define<QuestionnaireResponse>("patient", r => [r.Subject], onlyPatients: true),
            Define<QuestionnaireResponse>("subject", r => [r.Subject]),
            Define<QuestionnaireResponse>("questionnaire", r => [r.QuestionnaireElement]),
            Define<QuestionnaireResponse>("authored", r => [r.AuthoredElement]),
            Define<QuestionnaireResponse>("status", r => [r.StatusElement]),
            Define<QuestionnaireResponse>("identifier", r => [r.Identifier]),
            Define<QuestionnaireResponse>("author", r => [r.Author]),
            Define<QuestionnaireResponse>("source", r => [r.Source]),

            Define<Observation>("patient", o => [o.Subject], onlyPatients: true, description: "The subject that the observation is about, if a patient"),
            Define<Observation>("subject", o => [o.Subject]),
            Define<Observation>("category", o => o.Category),
            Define<Observation>("code", o => [o.Code], description: "The code of the observation type"),
            Define<Observation>("date", o => [o.Effective], description: "Obtained date/time. If the obtained element is a period, a date that falls in the period"),
            Define<Observation>("status", o => [o.StatusElement]),
            Define<Observation>("derived-from", o => o.DerivedFrom),
            Define<Observation>("identifier", o => o.Identifier, description: "The unique id for a particular observation"),
            Define<Observation>("performer", o => o.Performer),
            Define<Observation>("value-concept", o => [o.Value as CodeableConcept]),

            Define<Consent>("patient", c => [c.Patient], description: "Who the consent applies to"),
            Define<Consent>("status", c => [c.StatusElement], description: "draft | proposed | active | rejected | inactive | entered-in-error"),
            Define<Consent>("scope", c => [c.Scope], description: "Which of the four areas this resource covers (extensible)"),
            Define<Consent>("category", c => c.Category, description: "Classification of the consent statement - for indexing/retrieval"),
            Define<Consent>("date", c => [c.DateTimeElement], description: "When this Consent was created or indexed"),
            Define<Consent>("identifier", c => c.Identifier, description: "Identifier for this record (external references)"),

            Define<CodeSystem>("url", c => [c.UrlElement], description: "The uri that identifies the CodeSystem"),
            Define<CodeSystem>("version", c => [c.VersionElement], description: "The business version of the CodeSystem"),
            Define<CodeSystem>("status", c => [c.StatusElement], description: "The current status of the CodeSystem"),
            Define<CodeSystem>("name", c => [c.NameElement], description: "Computationally friendly name of the CodeSystem"),
            Define<CodeSystem>("title", c => [c.TitleElement], description: "The human-friendly name of the CodeSystem"),
            Define<CodeSystem>("code", c => c.Concept.Select(x => x.CodeElement), description: "A code defined in the code system"),

            Define<ValueSet>("url", v => [v.UrlElement], description: "The uri that identifies the ValueSet"),
            Define<ValueSet>("version", v => [v.VersionElement], description: "The business version of the ValueSet"),
            Define<ValueSet>("status", v => [v.StatusElement], description: "The current status of the ValueSet"),
            Define<ValueSet>("name", v => [v.NameElement], description: "Computationally friendly name of the ValueSet"),
            Define<ValueSet>("title", v => [v.TitleElement], description: "The human-friendly name of the ValueSet"),

            Define<OperationDefinition>("url", o => [o.UrlElement], description: "The uri that identifies the OperationDefinition"),
            Define<OperationDefinition>("version", o => [o.VersionElement], description: "The business version of the OperationDefinition"),
            Define<OperationDefinition>("status", o => [o.StatusElement], description: "The current status of the OperationDefinition"),
            Define<OperationDefinition>("name", o => [o.NameElement], description: "Computationally friendly name of the OperationDefinition"),
            Define<OperationDefinition>("code", o => [o.CodeElement], description: "Name used to invoke the operation"),

            Define<Measure>("url", m => [m.UrlElement], description: "The uri that identifies the Measure"),
            Define<Measure>("version", m => [m.VersionElement], description: "The business version of the Measure"),
            Define<Measure>("status", m => [m.StatusElement], description: "The current status of the Measure"),
            Define<Measure>("name", m => [m.NameElement], description: "Computationally friendly name of the Measure"),
            Define<Measure>("title", m => [m.TitleElement], description: "The human-friendly name of the Measure"),
        };

        return definitions
            .GroupBy(d => d.ResourceType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToDictionary(d => d.Name, StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <param name="onlyPatients">For the <c>patient</c> parameters, defined as <c>subject.where(resolve() is Patient)</c>:
    /// keep only references known to point at a Patient.</param>
    /// <param name="description">For the shared parameters whose description in the SDK's table is empty.</param>
    private static SearchParameterDefinition Define<T>(string name, Func<T, IEnumerable<Base?>> select, bool onlyPatients = false, string? description = null)
        where T : Resource
    {
        var type = ModelInfo.GetFhirTypeNameForType(typeof(T))!;
        var standard = ModelInfo.SearchParameters.SingleOrDefault(s => s.Resource == type && s.Name == name)
            ?? throw new InvalidOperationException($"{type}.{name} is not a FHIR R4 search parameter.");
        if (!ResourceTypes.IsSupported(type))
        {
            throw new InvalidOperationException($"{type} is not a supported resource type.");
        }

        var targets = onlyPatients ? [ResourceTypes.Patient] : standard.Target?.Select(t => t.ToString()).ToArray() ?? [];
        var url = standard.Url ?? throw new InvalidOperationException($"{type}.{name} has no canonical URL.");
        var text = standard.Description?.Value is { Length: > 0 } standardText ? standardText : description
            ?? throw new InvalidOperationException($"{type}.{name} needs a description: the SDK's is empty.");
        return new SearchParameterDefinition(type, name, standard.Type, url, text, r => select((T)r), targets, onlyPatients);
    }
}
