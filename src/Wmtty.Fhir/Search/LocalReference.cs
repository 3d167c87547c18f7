using Hl7.Fhir.Model;
using Wmtty.Fhir.Resources;

namespace Wmtty.Fhir.Search;

/// <summary>
/// A reference as the index keeps it: a resource on this server (type and id), or any other absolute
/// target kept whole as a URL with no type, so it can never be mistaken for a local resource.
/// </summary>
public readonly record struct LocalReference(string? Type, string Id)
{
    /// <summary>Reads "Type/id", "Type/id/_history/n", this server's absolute URL, or another absolute URL or URN.</summary>
    public static LocalReference? Parse(string? reference, Uri? localBase)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('#'))
        {
            return null;
        }

        if (localBase is not null)
        {
            var prefix = localBase.AbsoluteUri.TrimEnd('/') + "/";
            if (reference.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return ParseRelative(reference[prefix.Length..]) ?? new LocalReference(null, reference);
            }
        }

        if (reference.Contains(':', StringComparison.Ordinal))
        {
            return new LocalReference(null, reference);
        }

        return ParseRelative(reference);
    }

    private static LocalReference? ParseRelative(string relative)
    {
        var parts = relative.Split('/');
        var isPlain = parts.Length == 2;
        var isVersioned = parts.Length == 4 && parts[2] == "_history";
        if ((isPlain || isVersioned) && ModelInfo.IsKnownResource(parts[0]) && ResourceTypes.IsValidId(parts[1]))
        {
            return new LocalReference(parts[0], parts[1]);
        }

        return null;
    }
}
