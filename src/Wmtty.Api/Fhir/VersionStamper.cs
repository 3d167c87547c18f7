using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Fhir;

/// <summary>Turns a resource into the version to store: id, version and lastUpdated written in, serialized once, index rows computed.</summary>
internal sealed class VersionStamper(TimeProvider clock)
{
    public DateTimeOffset Now() => StoredForm.Now(clock);

    /// <param name="extraReferences">Index rows the resource itself cannot show, such as what its canonical resolved to.</param>
    public NewVersion Stamp(Resource resource, string id, int version, VersionChange change, Uri localBase, IEnumerable<ReferenceRow>? extraReferences = null)
    {
        var lastUpdated = Now();
        var json = StoredForm.Prepare(resource, id, version, lastUpdated);
        var index = IndexRows.For(resource, localBase);
        index.References.AddRange(extraReferences ?? []);
        return new NewVersion(resource.TypeName, id, version, lastUpdated, change, json, index);
    }
}
