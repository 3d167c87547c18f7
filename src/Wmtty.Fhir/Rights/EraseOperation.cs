using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Fhir.Rights;

/// <summary>The OperationDefinition of <c>Patient/[id]/$erase</c>, the right to erasure, published so integrators can discover it.</summary>
public static class EraseOperation
{
    public const string Code = "erase";

    public static string Url(string canonicalBase) => $"{canonicalBase.TrimEnd('/')}/OperationDefinition/Patient-erase";

    public static OperationDefinition Build(string canonicalBase) => new()
    {
        Id = "Patient-erase-" + WhatMattersQuestionnaire.Version,
        Url = Url(canonicalBase),
        Version = WhatMattersQuestionnaire.Version,
        Name = "WmttyErase",
        Title = "Erase everything held about a patient",
        Status = PublicationStatus.Active,
        Kind = OperationDefinition.OperationKind.Operation,
        Experimental = false,
        Date = "2026-11-25",
        Publisher = "Wmtty",
        Description = new Markdown(
            "The right to erasure (UK GDPR Article 17), for admins. Hard-deletes, in one transaction, every version of the " +
            "Patient and of every resource in their compartment (Observations, QuestionnaireResponses, Consents), their search " +
            "index rows, preference sets and projection, and the invitations sent to their NHS number. Nothing is kept as " +
            "history: afterwards the Patient reads as 404, not 410. The audit trail keeps its records, which hold ids and " +
            "times and never content, and records the erasure itself. The retention job erases expired patients the same way."),
        AffectsState = true,
        Code = Code,
        Resource = [ResourceType.Patient],
        System = false,
        Type = false,
        Instance = true,
        Parameter =
        [
            Count("resources", "How many resources were erased."),
            Count("versions", "How many stored versions of them were erased."),
            Count("invitations", "How many invitations to the patient's NHS number were erased."),
            new OperationDefinition.ParameterComponent
            {
                Name = "erased",
                Use = OperationParameterUse.Out,
                Min = 0,
                Max = "*",
                Documentation = "One per resource type erased: its type and how many resources.",
                Part =
                [
                    new() { Name = "type", Use = OperationParameterUse.Out, Min = 1, Max = "1", Type = FHIRAllTypes.Code },
                    new() { Name = "resources", Use = OperationParameterUse.Out, Min = 1, Max = "1", Type = FHIRAllTypes.Integer },
                ],
            },
        ],
    };

    private static OperationDefinition.ParameterComponent Count(string name, string documentation) => new()
    {
        Name = name,
        Use = OperationParameterUse.Out,
        Min = 1,
        Max = "1",
        Documentation = documentation,
        Type = FHIRAllTypes.Integer,
    };
}
