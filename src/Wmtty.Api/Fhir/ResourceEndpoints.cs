using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Search;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>The FHIR REST interactions on one resource type: create, read, vread, update, delete and history.</summary>
internal static class ResourceEndpoints
{
    public static void MapResourceInteractions(this RouteGroupBuilder group, string type)
    {
        group.MapPost("", (HttpContext http, ResourceWriter writer, CancellationToken ct) => Create(type, http, writer, ct))
            .Interaction(type, FhirInteraction.Create, $"Create a {type}; with If-None-Exist, only if no match exists")
            .AcceptsFhir().ProducesFhir(StatusCodes.Status201Created, StatusCodes.Status200OK);

        group.MapPut("", (HttpContext http, ResourceWriter writer, CancellationToken ct) => ConditionalUpdate(type, http, writer, ct))
            .Interaction(type, FhirInteraction.Update, $"Update the one {type} that matches the search criteria in the query", "-conditional", conditional: true)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK, StatusCodes.Status201Created);

        group.MapGet("/{id}", (string id, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken ct) => Read(type, id, http, store, policy, ct))
            .Interaction(type, FhirInteraction.Read, $"Read the current version of a {type}")
            .ProducesFhir(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified);

        group.MapPut("/{id}", (string id, HttpContext http, ResourceWriter writer, CancellationToken ct) => Update(type, id, http, writer, ct))
            .Interaction(type, FhirInteraction.Update, $"Update a {type}, or create it with this id; If-Match guards against lost updates")
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK, StatusCodes.Status201Created);

        group.MapDelete("/{id}", (string id, HttpContext http, ResourceWriter writer, CancellationToken ct) => Delete(type, id, http, writer, ct))
            .Interaction(type, FhirInteraction.Delete, $"Delete a {type}; its history is kept")
            .Produces(StatusCodes.Status204NoContent).ProducesFhir(StatusCodes.Status200OK);

        group.MapGet("/{id}/_history", (string id, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken ct) => History(type, id, http, store, policy, ct))
            .Interaction(type, FhirInteraction.HistoryInstance, $"Every version of a {type}, newest first")
            .ProducesFhir(StatusCodes.Status200OK);

        group.MapGet("/{id}/_history/{vid}", (string id, string vid, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken ct) => VRead(type, id, vid, http, store, policy, ct))
            .Interaction(type, FhirInteraction.VRead, $"Read one version of a {type}")
            .ProducesFhir(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified);
    }

    private static async Task<IResult> Create(string type, HttpContext http, ResourceWriter writer, CancellationToken cancellationToken)
    {
        var resource = await FhirBody.ReadResourceAsync(http, type, cancellationToken);
        var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
        var condition = ifNoneExist.Length == 0 ? null : Criteria(type, ifNoneExist, "If-None-Exist", http);
        var outcome = await writer.CreateAsync(resource, condition, FhirRequest.BaseUri(http), cancellationToken, Caller.Of(http));
        return Written(http, outcome, outcome.Kind == WriteKind.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> Read(string type, string id, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        var stored = await store.ReadAsync(type, id, cancellationToken);
        return await StoredAsync(http, stored, policy, $"{type}/{id} does not exist.", cancellationToken);
    }

    private static async Task<IResult> VRead(string type, string id, string vid, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        if (!int.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw FhirException.BadRequest($"'{FhirText.Shorten(vid, 20)}' is not a version id: versions are whole numbers from 1.");
        }

        if (vid[0] == '0')
        {
            throw FhirException.NotFound($"{type}/{id} has no version '{vid}'; version ids are written without leading zeros."); // ids compare as strings
        }

        var stored = await store.ReadVersionAsync(type, id, version, cancellationToken);
        return await StoredAsync(http, stored, policy, $"{type}/{id} has no version {version}.", cancellationToken);
    }

    private static async Task<IResult> Update(string type, string id, HttpContext http, ResourceWriter writer, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        var conditions = WriteConditions.From(http.Request);
        var resource = await FhirBody.ReadResourceAsync(http, type, cancellationToken);
        if (resource.Id != id)
        {
            throw FhirException.BadRequest(resource.Id is null
                ? $"The {type} in the body has no id. An update must carry the id from the URL, '{id}'."
                : $"The {type} in the body has id '{resource.Id}', but the URL names '{id}'.");
        }

        var outcome = await writer.UpdateAsync(resource, id, conditions, FhirRequest.BaseUri(http), cancellationToken, Caller.Of(http));
        return Written(http, outcome, outcome.Kind == WriteKind.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> ConditionalUpdate(string type, HttpContext http, ResourceWriter writer, CancellationToken cancellationToken)
    {
        var condition = Criteria(type, http.Request.QueryString.Value ?? "", "A conditional update", http);
        var conditions = WriteConditions.From(http.Request);
        var resource = await FhirBody.ReadResourceAsync(http, type, cancellationToken);
        if (resource.Id is not null)
        {
            FhirRequest.RequireValidId(type, resource.Id);
        }

        var outcome = await writer.ConditionalUpdateAsync(resource, condition, conditions, FhirRequest.BaseUri(http), cancellationToken, Caller.Of(http));
        return Written(http, outcome, outcome.Kind == WriteKind.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> Delete(string type, string id, HttpContext http, ResourceWriter writer, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        var outcome = await writer.DeleteAsync(type, id, new WriteConditions(Preconditions.Parse(http.Request, "If-Match"), null), FhirRequest.BaseUri(http), cancellationToken, Caller.Of(http));
        if (FhirRequest.PreferredReturn(http) == "OperationOutcome")
        {
            var text = outcome.AlreadyDeleted ? $"{type}/{id} was already deleted." : $"Deleted {type}/{id}; its history is kept.";
            return FhirResult.Of(StatusCodes.Status200OK, FhirOutcome.Information(text));
        }

        return FhirResult.Empty(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> History(string type, string id, HttpContext http, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(type, id);
        var query = http.Request.Query;
        var count = HistoryCount(query["_count"].ToString());
        var since = DateTimeOffset.FromUnixTimeMilliseconds(0);
        if (query["_since"].ToString() is { Length: > 0 } sinceText)
        {
            since = Wmtty.Fhir.Search.FhirDateRange.TryParse(sinceText.Replace(' ', '+'), out var range)
                ? DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(range.Low, DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()))
                : throw FhirException.BadRequest("_since needs a FHIR instant such as 2024-05-17T10:30:00Z.");
        }

        var before = int.MaxValue;
        if (query[SearchCursors.Parameter].ToString() is { Length: > 0 } cursor
            && !int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            throw FhirException.BadRequest("The _cursor value is not valid. Follow the next link exactly as it was given.");
        }

        var caller = Caller.Of(http);
        if (await store.ReadAsync(type, id, cancellationToken) is not { } current || !AccessPolicy.InReach(caller, type, current.Compartment)
            || (current.Json is { } currentJson && await policy.DiscloseAsync(caller, type, current.Compartment, currentJson, cancellationToken) is null))
        {
            throw FhirException.NotFound($"{type}/{id} does not exist."); // not the caller's, or withheld from them by Consent
        }

        var rows = await store.HistoryAsync(type, id, before, since, count + 1, cancellationToken);
        var versions = PageLimits.Take(rows, count, v => v.Json?.Length ?? 0);
        var shown = new List<StoredVersion>(versions.Count);
        foreach (var version in versions)
        {
            // Each version as this caller may see it: one the patient's Consent withholds is left out.
            if (version.Json is null)
            {
                shown.Add(version);
            }
            else if (await policy.DiscloseAsync(caller, type, version.Compartment ?? current.Compartment, version.Json, cancellationToken) is { } json)
            {
                shown.Add(version with { Json = json });
            }
        }

        var baseUrl = FhirRequest.BaseUrl(http);
        var link = $"{baseUrl}/{type}/{id}/_history";
        var kept = Pairs(query, "_count", "_since", "_format", "_pretty");
        var self = link + QueryString.Create(Pairs(query, "_count", "_since", "_format", "_pretty", SearchCursors.Parameter));
        string? next = null;
        if (rows.Count > versions.Count)
        {
            next = link + QueryString.Create([.. kept, new(SearchCursors.Parameter, versions[^1].Version.ToString(CultureInfo.InvariantCulture))]);
        }

        return FhirResult.Raw(StatusCodes.Status200OK, BundleWriter.History(baseUrl, shown, self, next));
    }

    private static List<KeyValuePair<string, string?>> Pairs(IQueryCollection query, params string[] names) =>
        query.Where(p => names.Contains(p.Key)).Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString())).ToList();

    private static int HistoryCount(string value)
    {
        if (value.Length == 0)
        {
            return SearchRequest.DefaultCount;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            ? Math.Min(count, SearchRequest.MaxCount)
            : throw FhirException.BadRequest($"_count must be a whole number from 1 to {SearchRequest.MaxCount}.");
    }

    // A record the caller may not see is answered exactly as one that does not exist.
    private static async Task<IResult> StoredAsync(HttpContext http, StoredVersion? stored, AccessPolicy policy, string notFound, CancellationToken cancellationToken)
    {
        var caller = Caller.Of(http);
        if (stored is null || !AccessPolicy.InReach(caller, stored.Type, stored.Compartment))
        {
            throw FhirException.NotFound(notFound);
        }

        if (stored is { IsDeleted: false, Json: { } json })
        {
            stored = stored with { Json = await policy.DiscloseAsync(caller, stored.Type, stored.Compartment, json, cancellationToken) ?? throw FhirException.NotFound(notFound) };
        }
        else
        {
            caller?.Audit?.AddPatient(stored.Compartment);
        }

        return Stored(http, stored);
    }

    private static IResult Stored(HttpContext http, StoredVersion stored)
    {
        if (stored.IsDeleted)
        {
            throw FhirException.Gone($"{stored.Type}/{stored.Id} was deleted (version {stored.Version}). Its earlier versions remain in its history.");
        }

        if (Preconditions.IfNoneMatchHits(http.Request, stored.Version) || Preconditions.NotModifiedSince(http.Request, stored.LastUpdated))
        {
            return FhirResult.Empty(StatusCodes.Status304NotModified).WithVersion(stored.Version, stored.LastUpdated);
        }

        return FhirResult.Raw(StatusCodes.Status200OK, stored.Json!).WithVersion(stored.Version, stored.LastUpdated);
    }

    private static FhirResult Written(HttpContext http, WriteOutcome outcome, int status)
    {
        var location = string.Create(CultureInfo.InvariantCulture, $"{FhirRequest.BaseUrl(http)}/{outcome.Type}/{outcome.Id}/_history/{outcome.Version}");
        var result = FhirRequest.PreferredReturn(http) switch
        {
            "minimal" => FhirResult.Empty(status),
            "OperationOutcome" => FhirResult.Of(status, FhirOutcome.Information(outcome.Kind switch
            {
                WriteKind.Created => $"Created {outcome.Type}/{outcome.Id} at version {outcome.Version}.",
                WriteKind.Updated => $"Updated {outcome.Type}/{outcome.Id} to version {outcome.Version}.",
                _ => $"{outcome.Type}/{outcome.Id} already exists and matches If-None-Exist; nothing was created.",
            })),
            _ => FhirResult.Raw(status, outcome.Json),
        };

        return result.WithVersion(outcome.Version, outcome.LastUpdated).WithLocation(location, location);
    }

    /// <summary>
    /// Search criteria that decide a write: unknown parameters are refused, never ignored, and so are
    /// paging and sorting, which would change what counts as a match.
    /// </summary>
    private static SearchQuery Criteria(string type, string queryString, string what, HttpContext http)
    {
        var parameters = QueryHelpers.ParseQuery(queryString.StartsWith('?') ? queryString : "?" + queryString)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))
            .ToList();
        if (parameters.FirstOrDefault(p => p.Key.StartsWith('_') && p.Key.Split(':')[0] is not ("_id" or "_lastUpdated" or "_format" or "_pretty")) is { Key: { } control })
        {
            throw FhirException.BadRequest($"{what} cannot use '{control}': its criteria may only select resources.");
        }

        var request = SearchRequest.Parse(type, parameters, strict: true, FhirRequest.BaseUri(http));
        if (request.Query.Clauses.Count == 0)
        {
            throw FhirException.BadRequest($"{what} needs search criteria, such as identifier=system|value.");
        }

        return request.Query;
    }
}
