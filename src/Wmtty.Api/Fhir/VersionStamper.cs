using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Fhir;

/// <summary>Turns a resource into the version to store: id, version and lastUpdated written in, serialized once, index rows computed.</summary>
internal sealed class VersionStamper(TimeProvider clock)
{
    public DateTimeOffset Now() => StoredForm.Now(clock);

    /// <param name="extraReferences">Index rows the resource itself cannot show, such as what its canonical resolved to.</param>
    /// <param name="patientId">The patient the resource is about, when found otherwise than by a literal reference.</param>
    public NewVersion Stamp(Resource resource, string id, int version, VersionChange change, Uri localBase, IEnumerable<ReferenceRow>? extraReferences = null, string? patientId = null)
    {
        var lastUpdated = Now();
        var json = StoredForm.Prepare(resource, id, version, lastUpdated);
        var index = IndexRows.For(resource, localBase);
        index.References.AddRange(extraReferences ?? []);
        return new NewVersion(resource.TypeName, id, version, lastUpdated, change, json, index) { Compartment = patientId ?? CompartmentOf(resource.TypeName, id, index) };
    }

    // The patient whose data this is: a Patient is its own; others name theirs in their 'patient' search parameter.
    private static string? CompartmentOf(string type, string id, ResourceIndex index) =>
        type == ResourceTypes.Patient
            ? id
            : index.References.FirstOrDefault(r => r.Param == "patient" && r.TargetType == ResourceTypes.Patient && r.TargetId is not null).TargetId;
}
