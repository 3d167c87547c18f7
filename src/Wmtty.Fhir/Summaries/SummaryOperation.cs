using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Fhir.Summaries;

/// <summary>The OperationDefinition of <c>Patient/[id]/$wmtty-summary</c>, published so integrators can discover it.</summary>
public static class SummaryOperation
{
    public const string Code = "wmtty-summary";

    public static string Url(string canonicalBase) => $"{canonicalBase.TrimEnd('/')}/OperationDefinition/Patient-wmtty-summary";

    public static OperationDefinition Build(string canonicalBase) => new()
    {
        Id = "Patient-wmtty-summary-" + WhatMattersQuestionnaire.Version,
        Url = Url(canonicalBase),
        Version = WhatMattersQuestionnaire.Version,
        Name = "WmttySummary",
        Title = "What matters to me: summary document",
        Status = PublicationStatus.Active,
        Kind = OperationDefinition.OperationKind.Operation,
        Experimental = false,
        Date = "2026-11-23",
        Publisher = "Wmtty",
        Description = new Markdown(
            "A FHIR document of the patient's current What Matters To You preferences: a Composition whose English narrative " +
            "leads with the interpreter need and has one section per questionnaire section, then the Patient, the current " +
            "preference Observations and the response they came from. Invoked by GET or POST; it changes nothing."),
        AffectsState = false,
        Code = Code,
        Resource = [ResourceType.Patient],
        System = false,
        Type = false,
        Instance = true,
        Parameter =
        [
            new OperationDefinition.ParameterComponent
            {
                Name = "return",
                Use = OperationParameterUse.Out,
                Min = 1,
                Max = "1",
                Documentation = "The summary, as a Bundle of type document.",
                Type = FHIRAllTypes.Bundle,
            },
        ],
    };
}
