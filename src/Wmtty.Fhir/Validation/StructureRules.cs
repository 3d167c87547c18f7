using Hl7.Fhir.Model;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Validation;

/// <summary>
/// The FHIR invariants every resource must keep that the SDK's parser does not check: elements have a
/// value or children (ele-1), extensions a value or extensions but not both (ext-1), contained
/// resources are used, unique and flat (dom-2, dom-3, dom-4, dom-5), a local reference names one of them
/// (ref-1), periods end after they start (per-1), and narrative is safe XHTML (txt-1, txt-2). A resource that
/// breaks one is not valid FHIR: 400.
/// </summary>
public static class StructureRules
{
    public static IReadOnlyList<OperationOutcome.IssueComponent> Check(Resource resource)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        var containedResources = new HashSet<Resource>(ReferenceEqualityComparer.Instance);
        (string Path, HashSet<string> Ids)? scope = null;
        foreach (var (node, path) in ResourceTree.Walk(resource, resource.TypeName))
        {
            if (node is DomainResource own && !containedResources.Contains(own))
            {
                // A resource of its own (the one written, or one a Parameters carries): its local references name its contained resources.
                scope = (path + ".", [.. own.Contained.Select(c => c.Id).OfType<string>()]);
                containedResources.UnionWith(own.Contained);
            }

            if (node is ResourceReference { Reference: ['#', _, ..] local }
                && !(scope is { } s && path.StartsWith(s.Path, StringComparison.Ordinal) && s.Ids.Contains(local[1..])))
            {
                issues.Add(Invalid($"The reference '{Shorten(local)}' names no contained resource (ref-1).", path + ".reference"));
            }

            switch (node)
            {
                case Narrative narrative when NarrativeRules.Check(narrative.Div) is { } problem:
                    issues.Add(Invalid(problem, path + ".div"));
                    break;
                case Extension extension when (extension.Value is null) == (extension.Extension.Count == 0):
                    issues.Add(Invalid($"An extension ({Shorten(extension.Url ?? "no url")}) must have either a value or extensions, not both and not neither (ext-1).", path));
                    break;
                case Period period when PeriodIsBackwards(period):
                    issues.Add(Invalid("The period ends before it starts (per-1).", path));
                    break;
                case DomainResource domain when domain.Contained.Count > 0:
                    CheckContained(domain, path, issues);
                    break;
                case PrimitiveType { JsonValue: string value } when IsMalformedTime(node, value) is { } type:
                    // The SDK reads some forms the FHIR patterns forbid, such as a time without seconds.
                    issues.Add(Invalid($"'{Shorten(value)}' is not a valid FHIR {type}.", path));
                    break;
            }

            var empty = node switch
            {
                XHtml => false, // narrative is checked above
                PrimitiveType primitive => primitive.JsonValue is null && primitive.Extension.Count == 0,
                Element => !node.EnumerateElements().Any(e => e.Key != "id"),
                _ => false,
            };
            if (empty)
            {
                issues.Add(Invalid("The element has no value and no children (ele-1).", path));
            }

            // FHIR trims whitespace in XML, so a value of only whitespace is an empty value there (and an
            // empty base64Binary slips past the SDK): refuse both, whatever the format.
            if (node is PrimitiveType { JsonValue: string { } text } and not XHtml && string.IsNullOrWhiteSpace(text))
            {
                issues.Add(Invalid("The value is empty or only whitespace, which FHIR does not allow.", path));
            }
        }

        return issues;
    }

    private static void CheckContained(DomainResource container, string path, List<OperationOutcome.IssueComponent> issues)
    {
        var references = ResourceTree.Walk(container, path)
            .Select(n => n.Node)
            .OfType<ResourceReference>()
            .Select(r => r.Reference)
            .Where(r => r is not null && r.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < container.Contained.Count; i++)
        {
            var contained = container.Contained[i];
            var where = $"{path}.contained[{i}]";
            if (contained.Id is null || !seen.Add(contained.Id))
            {
                issues.Add(Invalid(contained.Id is null ? "A contained resource needs an id." : $"Two contained resources have the id '{Shorten(contained.Id)}'.", where));
            }

            if (contained is DomainResource { Contained.Count: > 0 })
            {
                issues.Add(Invalid("A contained resource cannot contain resources itself (dom-2).", where));
            }

            if (contained.Meta is { } meta && (meta.VersionId is not null || meta.LastUpdated is not null || meta.Security.Count > 0))
            {
                issues.Add(Invalid("A contained resource cannot have meta.versionId, meta.lastUpdated or meta.security (dom-4, dom-5).", where + ".meta"));
            }

            if (contained.Id is not null && !references.Contains("#" + contained.Id)
                && !ResourceTree.Walk(contained, where).Select(n => n.Node).OfType<ResourceReference>().Any(r => r.Reference == "#"))
            {
                issues.Add(Invalid($"The contained resource '{Shorten(contained.Id)}' is not referred to from the resource that contains it (dom-3).", where));
            }
        }
    }

    private static string? IsMalformedTime(Base node, string value) => node switch
    {
        Instant when !TemporalPatterns.Instant().IsMatch(value) => "instant",
        FhirDateTime when !TemporalPatterns.DateTime().IsMatch(value) => "dateTime",
        Date when !TemporalPatterns.Date().IsMatch(value) => "date",
        Time when !TemporalPatterns.Time().IsMatch(value) => "time",
        _ => null,
    };

    private static bool PeriodIsBackwards(Period period) =>
        FhirDateRange.TryParse(period.Start, out var start) && FhirDateRange.TryParse(period.End, out var end) && end.High < start.Low;

    private static OperationOutcome.IssueComponent Invalid(string diagnostics, string expression) =>
        Outcome.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invariant, diagnostics, expression);

    private static string Shorten(string text) => FhirText.Shorten(text, 80);
}
