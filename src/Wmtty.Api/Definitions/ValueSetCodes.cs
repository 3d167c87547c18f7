using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Definitions;

/// <summary>Reads the ValueSets a questionnaire's answers come from, as stored here, and lists their codes. Each version is parsed once.</summary>
internal static class ValueSetCodes
{
    /// <summary>The codes of each answerValueSet that is stored here and can be enumerated; others are left out, for the validator to report.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlySet<(string? System, string? Code)>>> ForAsync(StoreReader reader, Questionnaire questionnaire)
    {
        var result = new Dictionary<string, IReadOnlySet<(string?, string?)>>(StringComparer.Ordinal);
        foreach (var url in ValueSetContents.Named(questionnaire))
        {
            if (await FindAsync(reader, ResourceTypes.ValueSet, url) is not ValueSet valueSet)
            {
                continue;
            }

            var systems = new Dictionary<string, CodeSystem?>(StringComparer.Ordinal);
            foreach (var system in valueSet.Compose?.Include.Where(i => i.Concept.Count == 0).Select(i => i.System).OfType<string>() ?? [])
            {
                systems[system] = await FindAsync(reader, ResourceTypes.CodeSystem, system) as CodeSystem;
            }

            if (ValueSetContents.Codes(valueSet, s => systems.GetValueOrDefault(s)) is { } codes)
            {
                result[url] = codes;
            }
        }

        return result;
    }

    // By url, or url|version. Which version, by index alone; the resource parsed only when it is not cached already.
    private static async Task<Resource?> FindAsync(StoreReader reader, string type, string canonical)
    {
        var versionOnly = Query(type, canonical);
        versionOnly.IncludeJson = false;
        if (await reader.Find(versionOnly, 1) is not [var found])
        {
            return null;
        }

        if (ParsedDefinitions.TryGet(type, found, out var cached))
        {
            return cached;
        }

        return await reader.Find(Query(type, canonical), 1) is [var match] ? ParsedDefinitions.Parse(type, match) : null;
    }

    private static SearchQuery Query(string type, string canonical)
    {
        var separator = canonical.LastIndexOf('|');
        var query = new SearchQuery(type).Where(new TokenCondition("url", null, separator > 0 ? canonical[..separator] : canonical));
        if (separator > 0)
        {
            query.Where(new TokenCondition("version", null, canonical[(separator + 1)..]));
        }

        return query;
    }
}
