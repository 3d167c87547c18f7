using Hl7.Fhir.Model;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Validation;

/// <summary>Rules that valid FHIR must also keep to be stored here. A broken rule is a 422, not a 400.</summary>
public static class BusinessRules
{
    /// <summary>Checks the resource and everything in it, contained resources included.</summary>
    public static IReadOnlyList<OperationOutcome.IssueComponent> Check(Resource resource)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        foreach (var (node, path) in ResourceTree.Walk(resource, resource.TypeName))
        {
            switch (node)
            {
                case Identifier { System: NhsNumber.System } identifier:
                    CheckNhsNumber(identifier, path, issues);
                    break;
                case Resource { ImplicitRules: { } rules }:
                    issues.Add(Refuse($"{path}.implicitRules ('{Shorten(rules)}') asks readers to follow rules this service does not know, which could change what the data means.", path + ".implicitRules"));
                    break;
            }

            if (node is IModifierExtendable { ModifierExtension.Count: > 0 } modified)
            {
                var urls = string.Join(", ", modified.ModifierExtension.Select(e => Shorten(e.Url ?? "(no url)")));
                issues.Add(Refuse($"{path} has a modifier extension ({urls}) this service does not understand; it could change what the data means.", path + ".modifierExtension"));
            }
        }

        return issues;
    }

    private static void CheckNhsNumber(Identifier identifier, string path, List<OperationOutcome.IssueComponent> issues)
    {
        if (NhsNumber.Check(identifier.Value) is { } problem)
        {
            issues.Add(Refuse(problem, path + ".value"));
        }
    }

    private static OperationOutcome.IssueComponent Refuse(string diagnostics, string expression) =>
        Outcome.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.BusinessRule, diagnostics, expression);

    private static string Shorten(string text) => FhirText.Shorten(text, 100);
}
