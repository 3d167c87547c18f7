using Hl7.Fhir.Model;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Validation;

/// <summary>Rules that valid FHIR must also keep to be stored here. A broken rule is a 422, not a 400.</summary>
public static partial class BusinessRules
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

            // Narrative and screen readers take this tag as it is: a malformed one would break the page that shows it.
            if (node is Resource { Language: { } language } && !Bcp47Tag().IsMatch(language))
            {
                issues.Add(Refuse($"{path}.language '{Shorten(language)}' is not a BCP-47 language tag, such as 'en', 'ur' or 'pa-Guru'.", path + ".language"));
            }

            if (node is IModifierExtendable { ModifierExtension.Count: > 0 } modified)
            {
                var urls = string.Join(", ", modified.ModifierExtension.Select(e => Shorten(e.Url ?? "(no url)")));
                issues.Add(Refuse($"{path} has a modifier extension ({urls}) this service does not understand; it could change what the data means.", path + ".modifierExtension"));
            }
        }

        if (resource is Questionnaire questionnaire)
        {
            CheckQuestionnaire(questionnaire, issues);
        }

        return issues;
    }

    // Responses are checked against questionnaires by linkId: each must name one item (que-2), and
    // enableWhen must name an item that exists.
    private static void CheckQuestionnaire(Questionnaire questionnaire, List<OperationOutcome.IssueComponent> issues)
    {
        var items = new List<(Questionnaire.ItemComponent Item, string Path)>();
        void Collect(List<Questionnaire.ItemComponent> level, string parent)
        {
            for (var i = 0; i < level.Count; i++)
            {
                items.Add((level[i], $"{parent}.item[{i}]"));
                Collect(level[i].Item, $"{parent}.item[{i}]");
            }
        }

        Collect(questionnaire.Item, "Questionnaire");
        var linkIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, path) in items.Where(x => x.Item.LinkId is not null && !linkIds.Add(x.Item.LinkId)))
        {
            issues.Add(Refuse($"linkId '{Shorten(item.LinkId!)}' is used by more than one item (que-2).", path + ".linkId"));
        }

        foreach (var (item, path) in items)
        {
            for (var i = 0; i < item.EnableWhen.Count; i++)
            {
                if (item.EnableWhen[i].Question is not { } question || !linkIds.Contains(question))
                {
                    issues.Add(Refuse($"enableWhen names '{Shorten(item.EnableWhen[i].Question ?? "")}', which is not an item of this questionnaire.", $"{path}.enableWhen[{i}].question"));
                }
            }
        }
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

    // The shape of a BCP-47 tag: a 2-3 letter (or 4-8 registered) language, then subtags of 1-8 letters or digits.
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Bcp47Tag();
}
