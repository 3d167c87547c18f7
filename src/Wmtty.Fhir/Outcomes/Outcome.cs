using Hl7.Fhir.Model;
using Wmtty.Fhir.Serialization;

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
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = Printable(diagnostics) };
        if (expression is not null)
        {
            issue.Expression = [Printable(expression)];
        }

        return issue;
    }

    /// <summary>Makes every text in the outcome printable, in place; see <see cref="Printable"/>.</summary>
    public static OperationOutcome Clean(OperationOutcome outcome)
    {
        foreach (var issue in outcome.Issue)
        {
            issue.Diagnostics = issue.Diagnostics is null ? null : Printable(issue.Diagnostics);
            if (issue.Details?.Text is { } text)
            {
                issue.Details.Text = Printable(text);
            }
        }

        return outcome;
    }

    /// <summary>
    /// Diagnostics often quote what the client sent. Characters that neither FHIR strings nor XML may
    /// hold become U+FFFD, so the outcome can always be written, in JSON or XML.
    /// </summary>
    public static string Printable(string text) => FhirText.ReplaceForbidden(text);
}
