using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;

namespace Wmtty.Api.Access;

/// <summary>
/// Runs the rest of a request and appends its audit record, allowed or refused, before the answer is
/// sent: the status it answered with, the refusal's status, or 500 when it failed.
/// </summary>
internal static class AuditedRequest
{
    /// <summary>The signed-in caller (401 when there is none) and a new audit record of this request, both kept on the request.</summary>
    public static (Caller Caller, AccessRecord Record) Start(HttpContext http, string action, string interaction, string? resourceType, string? resourceId)
    {
        var caller = CallerMap.From(http.User) ?? throw new FhirException(StatusCodes.Status401Unauthorized,
            Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.Login, "Sign in: send a bearer token."));
        var record = new AccessRecord(caller, action, interaction, resourceType, resourceId, http.TraceIdentifier, http.RequestServices.GetRequiredService<TimeProvider>());
        caller.Audit = record;
        Caller.Set(http, caller);
        return (caller, record);
    }

    public static async ValueTask<object?> RunAsync(HttpContext http, AccessRecord record, Func<ValueTask<object?>> run)
    {
        var trail = http.RequestServices.GetRequiredService<AuditTrail>();
        try
        {
            var result = await run();
            if (!record.Committed)
            {
                await trail.AppendAsync(record.ToEntry(StatusOf(result)));
            }

            return result;
        }
        catch (FhirException refused)
        {
            if (refused.StatusCode == StatusCodes.Status403Forbidden)
            {
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Wmtty.Access")
                    .AccessRefused(refused.StatusCode, record.Caller.KindName, http.Request.Method, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "");
            }

            if (!record.Committed)
            {
                await trail.AppendAsync(record.ToEntry(refused.StatusCode));
            }

            throw;
        }
        catch (Exception) when (!record.Committed)
        {
            await trail.AppendAsync(record.ToEntry(StatusCodes.Status500InternalServerError));
            throw;
        }
    }

    private static int StatusOf(object? result) => result switch
    {
        FhirResult fhir => fhir.StatusCode,
        IStatusCodeHttpResult { StatusCode: { } status } => status,
        _ => StatusCodes.Status200OK,
    };
}
