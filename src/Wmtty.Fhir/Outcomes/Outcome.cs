using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Outcomes;

/// <summary>Builds OperationOutcomes with plain-language diagnostics.</summary>
public static class Outcome
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string diagnostics, string? expression = null) =>
        Of(Issue(OperationOutcome.IssueSeverity.Error, code, diagnostics, expression));

    public static OperationOutcome Information(string diagnostics) =>
        Of(Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, diagnostics));

    public static OperationOutcome Of(params IEnumerable<OperationOutcome.IssueComponent> issues) =>
        new() { Issue = issues.ToList() };

    public static OperationOutcome.IssueComponent Issue(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string diagnostics, string? expression = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (expression is not null)
        {
            issue.Expression = [expression];
        }

        return issue;
    }
}
