using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Questionnaires;

/// <summary>
/// The service's own CodeSystem and the ValueSets an EHR needs to read the preferences: the sections
/// (Observation categories) and every code a preference Observation can have. Versioned with the questionnaire.
/// </summary>
public static class PreferenceTerminology
{
    public const string SectionsName = "wmtty-preference-sections";
    public const string CodesName = "wmtty-preference-codes";

    /// <summary>The CodeSystem and ValueSets for <paramref name="questionnaire"/>, each with a fixed id per version.</summary>
    public static IReadOnlyList<Resource> Build(string canonicalBase, Questionnaire questionnaire)
    {
        var system = PreferenceCodes.ServiceSystem(canonicalBase);
        var itemCodes = Items(questionnaire.Item).SelectMany(i => i.Code).ToList();
        return
        [
            CodeSystem(system),
            ValueSet(canonicalBase, SectionsName, "WmttyPreferenceSections", "What Matters To You: preference sections",
                "The five sections of the What Matters To You questionnaire: the categories of the Observations extracted from it.",
                PreferenceCodes.Sections.Select(s => new Coding(system, s.Code, s.Display))),
            ValueSet(canonicalBase, CodesName, "WmttyPreferenceCodes", "What Matters To You: preference codes",
                "Every code a What Matters To You preference Observation can have (Observation.code): LOINC where LOINC has one, the service's own codes otherwise.",
                itemCodes),
        ];
    }

    private static CodeSystem CodeSystem(string url) => new()
    {
        Id = "wmtty-preferences-" + WhatMattersQuestionnaire.Version,
        Url = url,
        Version = WhatMattersQuestionnaire.Version,
        Name = "WmttyPreferences",
        Title = "What Matters To You: the service's own codes",
        Status = PublicationStatus.Active,
        Experimental = false,
        Date = "2026-11-23",
        Publisher = "Wmtty",
        Description = new Markdown("Codes for preferences that no standard code system covers. Where LOINC, SNOMED CT, HL7 or UK Core has a code, the questionnaire uses that code instead."),
        CaseSensitive = true,
        Content = CodeSystemContentMode.Complete,
        Count = PreferenceCodes.ServiceConcepts.Count,
        Concept = [.. PreferenceCodes.ServiceConcepts.Select(c => new CodeSystem.ConceptDefinitionComponent { Code = c.Code, Display = c.Display, Definition = c.Definition })],
    };

    private static ValueSet ValueSet(string canonicalBase, string name, string computableName, string title, string description, IEnumerable<Coding> codings) => new()
    {
        Id = $"{name}-{WhatMattersQuestionnaire.Version}",
        Url = $"{canonicalBase.TrimEnd('/')}/ValueSet/{name}",
        Version = WhatMattersQuestionnaire.Version,
        Name = computableName,
        Title = title,
        Status = PublicationStatus.Active,
        Experimental = false,
        Date = "2026-11-23",
        Publisher = "Wmtty",
        Description = new Markdown(description),
        Compose = new ValueSet.ComposeComponent
        {
            Include = [.. codings
                .GroupBy(c => c.System)
                .Select(g => new ValueSet.ConceptSetComponent
                {
                    System = g.Key,
                    Concept = [.. g.DistinctBy(c => c.Code).Select(c => new ValueSet.ConceptReferenceComponent { Code = c.Code, Display = c.Display })],
                })],
        },
    };

    private static IEnumerable<Questionnaire.ItemComponent> Items(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => Items(i.Item).Prepend(i));
}
