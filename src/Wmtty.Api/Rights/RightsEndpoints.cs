using Hl7.Fhir.Model;
using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Search;
using Wmtty.Api.SignIn;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Rights;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Rights;

/// <summary>
/// A patient's data-protection rights over FHIR: <c>$everything</c>, all that is held about them with its history
/// (the right of access), and <c>$erase</c>, its hard deletion (the right to erasure).
/// </summary>
internal static class RightsEndpoints
{
    public const string EverythingDefinition = "http://hl7.org/fhir/OperationDefinition/Patient-everything";

    private static readonly string[] CompartmentTypes = [ResourceTypes.Patient, ResourceTypes.Observation, ResourceTypes.QuestionnaireResponse, ResourceTypes.Consent];

    public static void MapPatientRights(this RouteGroupBuilder fhir, string canonicalBase)
    {
        fhir.MapGet("/Patient/{id}/$everything", Everything)
            .Operation(ResourceTypes.Patient, "everything", EverythingDefinition,
                "Everything held about the patient, every version of every resource, as a searchset Bundle: for the patient themselves and for admins")
            .RequiresRead(CompartmentTypes)
            .ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/Patient/{id}/$everything", Everything)
            .Operation(ResourceTypes.Patient, "everything", EverythingDefinition, "The same, by POST (it takes no parameters)", "-post")
            .RequiresRead(CompartmentTypes)
            .ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/Patient/{id}/$erase", Erase)
            .Operation(ResourceTypes.Patient, EraseOperation.Code, EraseOperation.Url(canonicalBase),
                "Admins only: hard-deletes every version of everything held about the patient, in one transaction; the audit trail records that it happened")
            .Requires(ResourceTypes.Patient, Interactions.Delete)
            .ProducesFhir(StatusCodes.Status200OK);
    }

    private static RouteHandlerBuilder RequiresRead(this RouteHandlerBuilder builder, string[] types)
    {
        foreach (var type in types)
        {
            builder.Requires(type, Interactions.Read);
        }

        return builder;
    }

    private static async Task<IResult> Everything(string id, HttpContext http, IResourceStore store, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(ResourceTypes.Patient, id);
        RefuseParameters(http, "$everything");
        var caller = Caller.Of(http);
        RequirePatientOrAdmin(caller, "$everything is the patient's right of access: the patient themselves, or an admin acting on their request. " +
            "For care, read $lastn, $wmtty-summary or search.");
        AccessPolicy.RequireOwn(caller, id);

        var baseUrl = FhirRequest.BaseUrl(http);
        var bundle = await EverythingAsync(store, id, baseUrl, cancellationToken) ?? throw FhirException.NotFound($"Patient/{id} does not exist.");
        return FhirResult.Raw(StatusCodes.Status200OK, bundle);
    }

    /// <summary>
    /// Everything held about the patient as a searchset Bundle: every version with content of every resource in their
    /// compartment, the Patient first, then by type and id, newest version first. Null when no Patient is held.
    /// </summary>
    public static async Task<PooledJson?> EverythingAsync(IResourceStore store, string patientId, string baseUrl, CancellationToken cancellationToken)
    {
        var versions = (await store.CompartmentAsync(patientId, cancellationToken)).Where(v => v.Json is not null)
            .OrderBy(v => v.Type == ResourceTypes.Patient ? 0 : 1).ThenBy(v => v.Type, StringComparer.Ordinal).ThenBy(v => v.Id, StringComparer.Ordinal)
            .ThenByDescending(v => v.Version).ToList();
        return versions.Any(v => v.Type == ResourceTypes.Patient)
            ? BundleWriter.Everything(baseUrl, versions, $"{baseUrl}/Patient/{patientId}/$everything")
            : null;
    }

    private static async Task<IResult> Erase(string id, HttpContext http, PatientErasure erasure, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(ResourceTypes.Patient, id);
        RefuseParameters(http, "$erase");
        var caller = Caller.Of(http);
        if (caller is null || !caller.Roles.Contains(AccessNames.AdminRole))
        {
            throw FhirException.Forbidden("Erasing a patient's data needs the Wmtty.Admin role.");
        }

        var erased = await erasure.EraseAsync(id, "request", session => caller.Audit?.AppendInAsync(session, StatusCodes.Status200OK) ?? System.Threading.Tasks.Task.CompletedTask, cancellationToken)
            ?? throw FhirException.NotFound($"Patient/{id} does not exist (an erased patient is gone for good).");
        if (caller.Audit is { } record)
        {
            record.Committed = true;
        }

        return FhirResult.Of(StatusCodes.Status200OK, Report(erased));
    }

    private static Parameters Report(ErasedCompartment erased)
    {
        var report = new Parameters();
        report.Add("resources", new Integer(erased.Resources));
        report.Add("versions", new Integer(erased.Versions));
        report.Add("invitations", new Integer(erased.Invitations));
        foreach (var (type, count) in erased.ResourcesByType.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            report.Parameter.Add(new Parameters.ParameterComponent
            {
                Name = "erased",
                Part = [new() { Name = "type", Value = new Code(type) }, new() { Name = "resources", Value = new Integer(count) }],
            });
        }

        return report;
    }

    private static void RequirePatientOrAdmin(Caller? caller, string explanation)
    {
        if (caller is null || !(caller.IsPatient || caller.Roles.Contains(AccessNames.AdminRole)))
        {
            throw FhirException.Forbidden(explanation);
        }
    }

    private static void RefuseParameters(HttpContext http, string operation)
    {
        if (http.Request.Query.Keys.FirstOrDefault(k => k is not ("_format" or "_pretty")) is { } given)
        {
            throw FhirException.BadRequest($"{operation} takes no parameters here ('{FhirText.Shorten(given, 40)}' was given): it always covers everything, history included.",
                IssueType.NotSupported);
        }
    }
}
