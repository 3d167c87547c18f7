using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Search;

/// <summary>Type-level search, by GET with a query string or by POST to <c>_search</c> with a form.</summary>
internal static class SearchEndpoints
{
    public static void MapSearch(this RouteGroupBuilder group, string type)
    {
        group.MapGet("", (HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken ct) => SearchByGet(type, http, store, policy, ct))
            .Interaction(type, FhirInteraction.SearchType, $"Search {type} resources; pages are linked by 'next'")
            .ProducesFhir(StatusCodes.Status200OK);

        group.MapPost("/_search", (HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken ct) => SearchByPost(type, http, store, policy, ct))
            .Interaction(type, FhirInteraction.SearchType, $"Search {type} resources with the parameters in a form body", "-post")
            .Accepts<Dictionary<string, string>>(FhirFormats.FormMediaType)
            .ProducesFhir(StatusCodes.Status200OK);
    }

    private static Task<IResult> SearchByGet(string type, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken) =>
        SearchAsync(type, Flatten(http.Request.Query), http, store, policy, cancellationToken);

    private static async Task<IResult> SearchByPost(string type, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals(FhirFormats.FormMediaType, StringComparison.OrdinalIgnoreCase)
            || !FhirFormats.IsUtf8(contentType))
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, FhirOutcome.Error(IssueType.NotSupported,
                $"POST _search takes its parameters as '{FhirFormats.FormMediaType}' in UTF-8, not '{http.Request.ContentType}'."));
        }

        var body = await FhirBody.ReadBytesAsync(http.Request, cancellationToken);
        var form = QueryHelpers.ParseQuery("?" + System.Text.Encoding.UTF8.GetString(body))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))
            .ToList();
        if (form.LastOrDefault(p => p.Key == "_format") is { Key: not null } format)
        {
            FhirFormats.Negotiate(http, format.Value);
        }

        return await SearchAsync(type, Flatten(http.Request.Query).Concat(form), http, store, policy, cancellationToken);
    }

    private static async Task<IResult> SearchAsync(string type, IEnumerable<KeyValuePair<string, string>> parameters, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var baseUrl = FhirRequest.BaseUrl(http);
        var request = SearchRequest.Parse(type, parameters, FhirRequest.StrictHandling(http), FhirRequest.BaseUri(http));
        var query = request.Query;
        var caller = Caller.Of(http);
        AccessPolicy.RequireOnlyOwnPatient(caller, query);
        policy.Restrict(caller, query);

        int? total = request.IncludeTotal ? await store.CountAsync(query, cancellationToken) : null;
        IReadOnlyList<SearchMatch> page = [];
        string? next = null;
        if (!request.CountOnly)
        {
            // One row more than the page shows whether a next page exists, without counting.
            var rows = await store.SearchAsync(query, query.Count + 1, cancellationToken);
            page = PageLimits.Take(rows, query.Count, m => m.Json.Length);
            if (rows.Count > page.Count)
            {
                var last = page[^1];
                next = Link(baseUrl, type, request, SearchCursors.Format(query.Sort, new SearchCursor(last.LastUpdated.ToUnixTimeMilliseconds(), last.Key)));
            }

            page = await DiscloseAsync(caller, type, page, policy, cancellationToken);
        }

        var included = request.Includes.Count == 0 ? [] : await IncludedAsync(caller, type, page, request.Includes, FhirRequest.BaseUri(http), store, policy, cancellationToken);

        var self = Link(baseUrl, type, request, query.After is { } after ? SearchCursors.Format(query.Sort, after) : null);
        var outcome = request.Warnings.Count > 0 ? FhirOutcome.Of(request.Warnings) : null;
        return FhirResult.Raw(StatusCodes.Status200OK, BundleWriter.SearchSet(baseUrl, type, page, total, self, next, outcome, included));
    }

    private const int MaxIncluded = 200;

    /// <summary>
    /// The current versions of what the matches refer to through the _include parameters, each passed
    /// through the same access decision as a read: what the caller may not see is simply not included.
    /// </summary>
    private static async Task<List<(string Type, string Id, byte[] Json)>> IncludedAsync(
        Caller? caller, string type, IReadOnlyList<SearchMatch> page, List<(string Param, string? TargetType)> includes, Uri localBase, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var targets = new List<(string Type, string Id)>();
        var seen = new HashSet<(string, string)>(page.Select(m => (type, m.Id)));
        foreach (var match in page)
        {
            var references = Fhir.IndexRows.For(Wmtty.Fhir.Serialization.FhirSerialization.ReadStored(match.Json), localBase).References;
            foreach (var reference in references)
            {
                if (reference is { TargetType: { } targetType, TargetId: { } targetId }
                    && includes.Any(i => i.Param == reference.Param && (i.TargetType is null || i.TargetType == targetType))
                    && seen.Add((targetType, targetId)) && targets.Count < MaxIncluded)
                {
                    targets.Add((targetType, targetId));
                }
            }
        }

        var included = new List<(string, string, byte[])>();
        foreach (var (targetType, targetId) in targets)
        {
            if (await store.ReadAsync(targetType, targetId, cancellationToken) is { IsDeleted: false, Json: { } json } stored
                && AccessPolicy.InReach(caller, targetType, stored.Compartment)
                && (caller is null || caller.Allows(targetType, Access.Interactions.Read))
                && await policy.DiscloseAsync(caller, targetType, stored.Compartment, json, cancellationToken) is { } shown)
            {
                included.Add((targetType, targetId, shown));
            }
        }

        return included;
    }

    /// <summary>Each match as the caller may see it: redacted where Consent withholds a section (hidden rows were left out in SQL).</summary>
    public static async Task<IReadOnlyList<SearchMatch>> DiscloseAsync(Caller? caller, string type, IReadOnlyList<SearchMatch> matches, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var shown = new List<SearchMatch>(matches.Count);
        foreach (var match in matches)
        {
            if (await policy.DiscloseAsync(caller, type, match.Compartment, match.Json, cancellationToken) is { } json)
            {
                shown.Add(ReferenceEquals(json, match.Json) ? match : match with { Json = json });
            }
        }

        return shown;
    }

    private static string Link(string baseUrl, string type, SearchRequest request, string? cursor)
    {
        var parameters = request.LinkParameters.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)).ToList();
        if (cursor is not null)
        {
            parameters.Add(new(SearchCursors.Parameter, cursor));
        }

        return $"{baseUrl}/{type}{QueryString.Create(parameters)}";
    }

    private static IEnumerable<KeyValuePair<string, string>> Flatten(IQueryCollection query) =>
        query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")));
}
