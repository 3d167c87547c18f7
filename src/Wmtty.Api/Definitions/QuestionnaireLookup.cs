using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Definitions;

/// <summary>A stored Questionnaire version, parsed.</summary>
internal sealed record StoredQuestionnaire(string Id, int Version, Questionnaire Resource);

/// <summary>
/// Finds the Questionnaire a canonical <c>url|version</c> names. Each version is parsed once (<see cref="ParsedDefinitions"/>),
/// so a submission does not parse the questionnaire again unless it changed.
/// </summary>
internal sealed class QuestionnaireLookup
{
    /// <summary>422 when the canonical does not name exactly one stored version.</summary>
    public async Task<StoredQuestionnaire> FindAsync(StoreReader reader, string? canonical, string expression)
    {
        // Which version, by index alone; the questionnaire itself (hundreds of kilobytes, translated) only when not cached.
        var query = Query(canonical, expression);
        query.IncludeJson = false;
        var found = await reader.Find(query, 2);
        if (found.Count == 1 && ParsedDefinitions.TryGet(ResourceTypes.Questionnaire, found[0], out var cached))
        {
            return new StoredQuestionnaire(found[0].Id, found[0].Version, (Questionnaire)cached);
        }

        return Resolve(found.Count == 1 ? await reader.Find(Query(canonical, expression), 2) : found, canonical!, expression);
    }

    /// <summary>The newest active version of the questionnaire at <paramref name="url"/>; null when there is none.</summary>
    public async Task<StoredQuestionnaire?> LatestAsync(IResourceStore store, string url, CancellationToken cancellationToken)
    {
        var query = new SearchQuery(ResourceTypes.Questionnaire) { Sort = SearchSort.LastUpdatedDescending }
            .Where(new TokenCondition("url", null, url))
            .Where(new TokenCondition("status", null, "active"));
        var matches = await store.SearchAsync(query, 1, cancellationToken);
        return matches.Count == 0 ? null : Parse(matches[0]);
    }

    private static SearchQuery Query(string? canonical, string expression)
    {
        var separator = canonical?.LastIndexOf('|') ?? -1;
        if (string.IsNullOrWhiteSpace(canonical) || separator <= 0 || separator == canonical.Length - 1)
        {
            throw Unprocessable(string.IsNullOrWhiteSpace(canonical)
                ? "The response does not say which questionnaire it answers. Give its canonical URL and version, as url|version."
                : $"'{FhirText.Shorten(canonical, 200)}' does not name a version. Give the questionnaire as url|version, so the response keeps pointing at the version it answered.", expression);
        }

        return new SearchQuery(ResourceTypes.Questionnaire)
            .Where(new TokenCondition("url", null, canonical[..separator]))
            .Where(new TokenCondition("version", null, canonical[(separator + 1)..]));
    }

    private StoredQuestionnaire Resolve(IReadOnlyList<SearchMatch> matches, string canonical, string expression) => matches.Count switch
    {
        0 => throw Unprocessable($"The questionnaire '{FhirText.Shorten(canonical, 200)}' is not known here.", expression),
        1 => Parse(matches[0]),
        _ => throw Unprocessable($"More than one stored Questionnaire claims to be '{FhirText.Shorten(canonical, 200)}', so the response cannot be checked.", expression),
    };

    private static StoredQuestionnaire Parse(SearchMatch match) =>
        new(match.Id, match.Version, (Questionnaire)ParsedDefinitions.Parse(ResourceTypes.Questionnaire, match));

    private static FhirException Unprocessable(string diagnostics, string expression) =>
        FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotFound, diagnostics, expression));
}
