using Hl7.Fhir.Model;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Resources;

/// <summary>Stamps a resource with its id and version metadata and serializes it once, for storage and for every later read.</summary>
public static class StoredForm
{
    /// <summary>FHIR instants go out at millisecond precision, which the store also keeps.</summary>
    public static DateTimeOffset Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
    }

    public static byte[] Prepare(Resource resource, string id, int version, DateTimeOffset lastUpdated)
    {
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = lastUpdated;
        return FhirSerialization.ToJsonBytes(resource);
    }

    /// <summary>The resource's content, without what storing it stamps in (meta.versionId and meta.lastUpdated): equal bytes, same content.</summary>
    public static byte[] Content(Resource resource)
    {
        var copy = (Resource)resource.DeepCopy();
        if (copy.Meta is { } meta)
        {
            meta.VersionId = null;
            meta.LastUpdated = null;
            if (meta.IsExactly(new Meta()))
            {
                copy.Meta = null;
            }
        }

        return FhirSerialization.ToJsonBytes(copy);
    }
}
