using Hl7.Fhir.Model;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Patients;

namespace Wmtty.Fhir.Validation;

/// <summary>Rules that valid FHIR must also keep to be stored here. A broken rule is a 422, not a 400.</summary>
public static class BusinessRules
{
    public static IReadOnlyList<OperationOutcome.IssueComponent> Check(Resource resource)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        if (resource is Patient patient)
        {
            for (var i = 0; i < patient.Identifier.Count; i++)
            {
                CheckNhsNumber(patient.Identifier[i], $"Patient.identifier[{i}]", issues);
            }
        }

        foreach (var (reference, path) in NhsNumberReferences(resource))
        {
            CheckNhsNumber(reference.Identifier, path + ".identifier", issues);
        }

        return issues;
    }

    private static void CheckNhsNumber(Identifier? identifier, string path, List<OperationOutcome.IssueComponent> issues)
    {
        if (identifier?.System != NhsNumber.System)
        {
            return;
        }

        if (NhsNumber.Check(identifier.Value) is { } problem)
        {
            issues.Add(Outcome.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.BusinessRule, problem, path + ".value"));
        }
    }

    // References that identify a patient by NHS number, e.g. subject.identifier, must carry a real one too.
    private static IEnumerable<(ResourceReference Reference, string Path)> NhsNumberReferences(Resource resource)
    {
        var subject = resource switch
        {
            Observation observation => (observation.Subject, "Observation.subject"),
            QuestionnaireResponse response => (response.Subject, "QuestionnaireResponse.subject"),
            _ => ((ResourceReference?)null, ""),
        };

        if (subject.Item1 is { Identifier: not null } reference)
        {
            yield return (reference, subject.Item2);
        }
    }
}
