using Wmtty.Api.Access;
using Wmtty.Api.Clinician;
using Wmtty.Api.Errors;
using Wmtty.Api.SignIn;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Measures;

/// <summary>
/// Who may see the outcome figures: public-health staff and admins, people or applications. The figures hold no patient's
/// data, but they are about the population served, so they are not for everyone signed in. Every access, allowed or
/// refused, is audited like a read.
/// </summary>
internal static class MeasureAccess
{
    public static bool Allows(Caller? caller) =>
        caller is { IsPatient: false } && (caller.Roles.Contains(AccessNames.PublicHealthRole) || caller.Roles.Contains(AccessNames.AdminRole));

    public static void Require(Caller? caller)
    {
        if (!Allows(caller))
        {
            throw FhirException.Forbidden($"The outcome figures need the {AccessNames.PublicHealthRole} or {AccessNames.AdminRole} role.");
        }
    }

    /// <summary>For the page and the CSV: the caller from a bearer token or the staff session, audited as <paramref name="name"/>, then the role check.</summary>
    public static RouteHandlerBuilder AuditedAs(this RouteHandlerBuilder builder, string name) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            await ClinicianSession.UseSessionAsync(http);
            var (caller, record) = AuditedRequest.Start(http, "E", name, ResourceTypes.Measure, null);
            return await AuditedRequest.RunAsync(http, record, async () =>
            {
                Require(caller);
                return await next(context);
            });
        });
}
