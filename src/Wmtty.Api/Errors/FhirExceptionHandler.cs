using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Wmtty.Api.Clinician;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;
using Wmtty.Api.Portal;
using Wmtty.Api.SignIn;
using Wmtty.Data.Resources;
using Wmtty.Data.Storage;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Errors;

/// <summary>
/// The one place exceptions become responses. Refusals carry their own status and OperationOutcome;
/// anything unexpected is a 500 with a trace id and no internals. An outage is never dressed up as a
/// missing resource. On the portal's pages, patients get a page with the same status instead, and so do
/// clinicians on theirs.
/// </summary>
internal sealed class FhirExceptionHandler(ILogger<FhirExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, outcome) = exception switch
        {
            FhirException refusal => (refusal.StatusCode, refusal.Outcome),
            BadHttpRequestException bad => (bad.StatusCode, FhirOutcome.Error(
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? IssueType.TooCostly : IssueType.Invalid,
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read.")),
            ConcurrencyConflictException => (StatusCodes.Status409Conflict, FhirOutcome.Error(IssueType.Conflict,
                "Another change to the same resource was saved first. Read it again and retry.")),
            StoreUnavailableException => Busy(httpContext), // transient database failures, after the store's retries
            _ => Unexpected(httpContext, exception),
        };

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.Clear();
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        if (httpContext.Request.Path.StartsWithSegments(InvitationSignIn.PortalPath))
        {
            await PortalPages.Problem(status).ExecuteAsync(httpContext); // patients get a page, never an OperationOutcome
            return true;
        }

        if (httpContext.Request.Path.StartsWithSegments(ClinicianSession.Path))
        {
            await ClinicianPages.Problem(httpContext, status, exception as FhirException).ExecuteAsync(httpContext); // pages, as on /portal
            return true;
        }

        await FhirResult.Of(status, outcome).ExecuteAsync(httpContext);
        return true;
    }

    private (int, OperationOutcome) Busy(HttpContext context)
    {
        logger.DatabaseBusy(context.Request.Method, RoutePattern(context));
        return (StatusCodes.Status503ServiceUnavailable, FhirOutcome.Error(IssueType.Transient, "The service is busy. Try again in a moment."));
    }

    private (int, OperationOutcome) Unexpected(HttpContext context, Exception exception)
    {
        var traceId = Activity.Current?.Id ?? context.TraceIdentifier;
        logger.UnhandledError(exception, exception.GetType().Name, context.Request.Method, RoutePattern(context), traceId);
        return (StatusCodes.Status500InternalServerError, FhirOutcome.Error(IssueType.Exception,
            $"Something went wrong inside the service; nothing was changed by this request. Quote trace id {traceId} when reporting it."));
    }

    // The route template, not the path: a path can carry an id. By now the endpoint is cleared from the
    // context, so take it from the exception feature.
    private static string RoutePattern(HttpContext context) =>
        (context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint()) is RouteEndpoint endpoint
            ? endpoint.RoutePattern.RawText ?? "(no template)"
            : "(no route)";
}
