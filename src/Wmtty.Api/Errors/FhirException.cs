using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Errors;

/// <summary>A request the service refuses, with the status and OperationOutcome to send back.</summary>
internal sealed class FhirException(int statusCode, OperationOutcome outcome) : Exception(outcome.Issue.FirstOrDefault()?.Diagnostics)
{
    public int StatusCode { get; } = statusCode;

    public OperationOutcome Outcome { get; } = outcome;

    public static FhirException BadRequest(string diagnostics, IssueType code = IssueType.Invalid) =>
        new(StatusCodes.Status400BadRequest, FhirOutcome.Error(code, diagnostics));

    public static FhirException Forbidden(string diagnostics) =>
        new(StatusCodes.Status403Forbidden, FhirOutcome.Error(IssueType.Forbidden, diagnostics));

    public static FhirException NotFound(string diagnostics) =>
        new(StatusCodes.Status404NotFound, FhirOutcome.Error(IssueType.NotFound, diagnostics));

    public static FhirException Gone(string diagnostics) =>
        new(StatusCodes.Status410Gone, FhirOutcome.Error(IssueType.Deleted, diagnostics));

    public static FhirException PreconditionFailed(string diagnostics) =>
        new(StatusCodes.Status412PreconditionFailed, FhirOutcome.Error(IssueType.Conflict, diagnostics));

    public static FhirException Conflict(string diagnostics) =>
        new(StatusCodes.Status409Conflict, FhirOutcome.Error(IssueType.Conflict, diagnostics));

    public static FhirException Unprocessable(OperationOutcome outcome) =>
        new(StatusCodes.Status422UnprocessableEntity, outcome);
}
