using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>Reading a resource an operation works on, answered as a read is: 404 for what never was, 410 for what was deleted.</summary>
internal static class LiveReads
{
    public static async Task<T> ReadLiveAsync<T>(this IResourceStore store, string id, CancellationToken cancellationToken)
        where T : Resource
    {
        var type = Hl7.Fhir.Model.ModelInfo.GetFhirTypeNameForType(typeof(T))!;
        return (T)FhirSerialization.ReadStored(await store.ReadLiveJsonAsync(type, id, cancellationToken));
    }

    public static async Task<byte[]> ReadLiveJsonAsync(this IResourceStore store, string type, string id, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        var stored = await store.ReadAsync(type, id, cancellationToken) ?? throw FhirException.NotFound($"{type}/{id} does not exist.");
        return stored is { IsDeleted: false, Json: { } json }
            ? json
            : throw FhirException.Gone($"{type}/{id} was deleted.");
    }
}
