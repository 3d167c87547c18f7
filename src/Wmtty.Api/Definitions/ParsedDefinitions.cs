using System.Collections.Concurrent;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Definitions;

/// <summary>
/// Stored definitions (Questionnaires, ValueSets, CodeSystems), parsed once for each version and shared: a submission
/// finds which version by index alone, and parses it only the first time. Nothing changes them once parsed.
/// </summary>
internal static class ParsedDefinitions
{
    private const int MaxKept = 64; // questionnaires are hundreds of kilobytes each, translated
    private static readonly ConcurrentDictionary<(string Type, string Id, int Version), Resource> Parsed = new();

    /// <summary>The version <paramref name="match"/> names, if it was parsed before (its JSON is not needed).</summary>
    public static bool TryGet(string type, SearchMatch match, out Resource resource) =>
        Parsed.TryGetValue((type, match.Id, match.Version), out resource!);

    /// <summary>The version <paramref name="match"/> holds (with its JSON), parsed now unless it was before.</summary>
    public static Resource Parse(string type, SearchMatch match)
    {
        if (TryGet(type, match, out var resource))
        {
            return resource;
        }

        resource = FhirSerialization.ReadStored(match.Json);
        if (Parsed.Count >= MaxKept)
        {
            Parsed.Clear();
        }

        Parsed[(type, match.Id, match.Version)] = resource;
        return resource;
    }
}
