using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Clinician;

/// <summary>The name a clinician page is audited as.</summary>
internal sealed record ClinicianView(string Name);

/// <summary>
/// Authorization and audit for the pages about one patient, decided as for <c>/fhir</c>: the caller from a
/// bearer token or the staff session; the patient by NHS number (400 when it fails its check); the SMART
/// permissions each page needs (403 naming what is missing); then 404 for a number no record has, and for
/// a patient asking about anyone but themselves; and an audit record against the patient, allowed or
/// refused, before the page is sent.
/// </summary>
internal static class ClinicianAccess
{
    public static RouteHandlerBuilder AuditedAs(this RouteHandlerBuilder builder, string name) =>
        builder.WithMetadata(new ClinicianView(name));

    public static RouteGroupBuilder RequirePatientAccess(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var metadata = http.GetEndpoint()!.Metadata;
            var view = metadata.GetMetadata<ClinicianView>() ?? throw FhirException.Forbidden("This page has no audit rule, so it is refused."); // fail closed
            await ClinicianSession.UseSessionAsync(http);
            var (caller, record) = AuditedRequest.Start(http, "R", view.Name, ResourceTypes.Patient, null);
            return await AuditedRequest.RunAsync(http, record, async () =>
            {
                var policy = http.RequestServices.GetRequiredService<AccessPolicy>();
                var nhsNumber = http.GetRouteValue("nhsNumber") as string;
                if (NhsNumber.Check(nhsNumber) is { } problem)
                {
                    throw FhirException.BadRequest(problem);
                }

                // Found before the permission check so that a refusal is audited against the patient, as on /fhir;
                // whether there is one is only said after it.
                var patientId = await policy.FindPatientIdAsync(nhsNumber!, http.RequestAborted);
                record.AddPatient(patientId);
                record.ResourceId = patientId.Length > 0 ? patientId : null;
                Require(caller, metadata.GetOrderedMetadata<AccessRequirement>());
                if (patientId.Length == 0)
                {
                    throw FhirException.NotFound("No patient has that NHS number.");
                }

                if (caller.IsPatient)
                {
                    await policy.FindOwnPatientAsync(caller, http.RequestAborted);
                }

                AccessPolicy.RequireOwn(caller, patientId); // a patient asking about anyone else: the same 404
                http.Items[PatientKey] = patientId;
                return await next(context);
            });
        });
        return group;
    }

    /// <summary>The signed-in caller and the patient the page is about, once <see cref="RequirePatientAccess"/> has let the request through.</summary>
    public static (Caller Caller, string PatientId) Of(HttpContext http) => (Caller.Of(http)!, (string)http.Items[PatientKey]!);

    private static readonly object PatientKey = new();

    private static void Require(Caller caller, IReadOnlyList<AccessRequirement> needed)
    {
        if (needed.Count == 0)
        {
            throw FhirException.Forbidden("This page has no access rule, so it is refused."); // fail closed
        }

        foreach (var requirement in needed.Where(r => !caller.Allows(r.ResourceType, r.Interactions)))
        {
            throw FhirException.Forbidden(
                $"This page needs the permission {AccessFilter.Scope(caller, requirement)}, which your sign-in does not give. " +
                (caller.Scopes.Count == 0 ? "It gives no permissions here: ask for a Wmtty role." : $"It gives {caller}."));
        }
    }

    /// <summary>Whether the caller may open the history page, so the summary links to it only then.</summary>
    public static bool MaySeeHistory(Caller caller) => HistoryNeeds.All(n => caller.Allows(n.ResourceType, n.Interactions));

    /// <summary>The history lists responses and earlier Observations: a search of each, as well as reading the Patient.</summary>
    public static IReadOnlyList<AccessRequirement> HistoryNeeds { get; } =
    [
        new(ResourceTypes.Patient, Interactions.Read),
        new(ResourceTypes.Observation, Interactions.Read | Interactions.Search),
        new(ResourceTypes.QuestionnaireResponse, Interactions.Read | Interactions.Search),
    ];
}
