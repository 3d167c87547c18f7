using System.Globalization;
using Microsoft.Extensions.Options;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Search;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;
using Wmtty.Fhir.Summaries;

namespace Wmtty.Api.Preferences;

/// <summary>Reading a patient's current preferences: <c>$lastn</c> for EHRs, and the summary document.</summary>
internal static class PreferenceEndpoints
{
    public const string LastNDefinition = "http://hl7.org/fhir/OperationDefinition/Observation-lastn";

    public static void MapPreferences(this RouteGroupBuilder fhir, string canonicalBase)
    {
        fhir.MapGet("/Observation/$lastn", (HttpContext http, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken ct) =>
                LastN(Query(http), http, store, preferences, policy, ct))
            .Operation(ResourceTypes.Observation, "lastn", LastNDefinition,
                "The current value of each preference code for one patient: patient (or subject, subject:identifier), optional code, category and max")
            .Requires(ResourceTypes.Observation, Interactions.Read | Interactions.Search)
            .ProducesFhir(StatusCodes.Status200OK);

        // Any operation may be invoked by POST, its parameters in a Parameters resource.
        fhir.MapPost("/Observation/$lastn", async (HttpContext http, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken ct) =>
                await LastN([.. Query(http), .. OperationParameters.AsSearch((Parameters)await FhirBody.ReadResourceAsync(http, "Parameters", ct))], http, store, preferences, policy, ct))
            .Operation(ResourceTypes.Observation, "lastn", LastNDefinition, "$lastn with its parameters in a Parameters body", "-post")
            .Requires(ResourceTypes.Observation, Interactions.Read | Interactions.Search)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK);

        var summaryDefinition = Wmtty.Fhir.Summaries.SummaryOperation.Url(canonicalBase);
        fhir.MapGet("/Patient/{id}/$wmtty-summary", Summary)
            .Operation(ResourceTypes.Patient, "wmtty-summary", summaryDefinition,
                "A FHIR document of the patient's current preferences: a Composition with one narrative section per questionnaire section, the Observations and the latest response")
            .Requires(ResourceTypes.Patient, Interactions.Read).Requires(ResourceTypes.Observation, Interactions.Read)
            .ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/Patient/{id}/$wmtty-summary", Summary)
            .Operation(ResourceTypes.Patient, "wmtty-summary", summaryDefinition, "The same, by POST (it takes no parameters)", "-post")
            .Requires(ResourceTypes.Patient, Interactions.Read).Requires(ResourceTypes.Observation, Interactions.Read)
            .ProducesFhir(StatusCodes.Status200OK);
    }

    private static List<KeyValuePair<string, string>> Query(HttpContext http) =>
        [.. http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))];

    private static async Task<IResult> LastN(List<KeyValuePair<string, string>> parameters, HttpContext http, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var max = Max(parameters);
        if (parameters.FirstOrDefault(p => p.Key is "_count" or "_sort" or "_cursor" or "_total" or "_summary" or "_include" or "_revinclude") is { Key: { } control })
        {
            throw FhirException.BadRequest($"$lastn does not take '{control}': it returns every group, newest first.", IssueType.NotSupported);
        }

        var baseUri = FhirRequest.BaseUri(http);
        var request = SearchRequest.Parse(ResourceTypes.Observation, parameters.Where(p => p.Key != "max"), FhirRequest.StrictHandling(http), baseUri);
        var subjectClauses = request.Query.Clauses.Where(c => c.All(IsSubject)).ToList();
        if (subjectClauses.Count == 0)
        {
            throw FhirException.BadRequest("$lastn needs the patient: patient=<id>, subject=Patient/<id> or subject:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>.", IssueType.Required);
        }

        var filters = request.Query.Clauses.Except(subjectClauses).ToList();
        var caller = Caller.Of(http);
        AccessPolicy.RequireOnlyOwnPatient(caller, request.Query);

        var baseUrl = FhirRequest.BaseUrl(http);
        var self = $"{baseUrl}/Observation/$lastn{QueryString.Create(parameters.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))}";
        var outcome = request.Warnings.Count > 0 ? Wmtty.Fhir.Outcomes.Outcome.Of(request.Warnings) : null;
        var matches = new List<SearchMatch>();
        var patients = await PatientsAsync(subjectClauses, store, cancellationToken);
        foreach (var patientId in patients)
        {
            AccessPolicy.RequireOwn(caller, patientId);
            var withheld = await policy.WithheldAsync(caller, patientId, cancellationToken);
            if (patients.Count == 1 && withheld.Count == 0 && filters.Count == 0 && max == 1)
            {
                // The EHR's usual $lastn: one patient, everything current, nothing withheld. The Bundle is written from
                // the patient's projection row as it is decoded, without copying each Observation out of it first.
                using var projected = await preferences.ProjectedAsync(patientId, cancellationToken);
                return FhirResult.Raw(StatusCodes.Status200OK, BundleWriter.SearchSet(baseUrl, projected, self, outcome));
            }

            var current = (await preferences.CurrentAsync(patientId, withTokens: withheld.Count > 0 || filters.Count > 0, cancellationToken))
                .Where(p => !policy.IsWithheld(withheld, p.Tokens) && filters.All(f => f.Any(c => Matches(c, p.Tokens)))).ToList();
            matches.AddRange(current.Select(p => p.Match));
            if (max > 1)
            {
                matches.AddRange(await EarlierAsync(patientId, current, max, filters, store, caller, policy, cancellationToken));
            }
        }

        return FhirResult.Raw(StatusCodes.Status200OK, BundleWriter.SearchSet(baseUrl, ResourceTypes.Observation, matches, null, self, null, outcome));
    }

    private static async Task<IResult> Summary(string id, HttpContext http, IResourceStore store, IPreferenceStore preferences, IOptions<DefinitionOptions> definitions, TimeProvider clock, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var read = await PreferenceReading.ReadAsync(Caller.Of(http), id, store, preferences, policy, cancellationToken);
        var document = PreferenceSummary.Build(read.Patient, read.Current, read.Source, PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase), FhirRequest.BaseUrl(http), clock.GetUtcNow());
        return FhirResult.Of(StatusCodes.Status200OK, document);
    }

    private static int Max(List<KeyValuePair<string, string>> parameters)
    {
        var given = parameters.Where(p => p.Key == "max").ToList();
        if (given.Count == 0)
        {
            return 1;
        }

        return given.Count == 1 && int.TryParse(given[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max is > 0 and <= SearchRequest.MaxCount
            ? max
            : throw FhirException.BadRequest($"max must be given once, as a whole number from 1 to {SearchRequest.MaxCount}.");
    }

    private static bool IsSubject(SearchCondition condition) => condition switch
    {
        ReferenceCondition r => r.Param is "patient" or "subject",
        ReferenceIdentifierCondition r => r.Param is "patient" or "subject",
        _ => false,
    };

    // Each clause is an OR of ways to name patients; several clauses must all hold.
    private static async Task<IReadOnlyList<string>> PatientsAsync(List<IReadOnlyList<SearchCondition>> clauses, IResourceStore store, CancellationToken cancellationToken)
    {
        HashSet<string>? patients = null;
        foreach (var clause in clauses)
        {
            var named = new HashSet<string>(StringComparer.Ordinal);
            foreach (var condition in clause)
            {
                switch (condition)
                {
                    case ReferenceCondition { TargetType: null or ResourceTypes.Patient } reference:
                        named.Add(reference.TargetId);
                        break;
                    case ReferenceIdentifierCondition byIdentifier:
                        var query = new SearchQuery(ResourceTypes.Patient).Where(new TokenCondition("identifier", byIdentifier.System, byIdentifier.Value));
                        var found = await store.SearchAsync(query, 2, cancellationToken);
                        if (found.Count > 1)
                        {
                            // Two records, one identifier: which one's preferences are right is for a person to settle, not a merge.
                            throw FhirException.Unprocessable(Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.MultipleMatches,
                                $"More than one patient has the identifier {byIdentifier.System}|{FhirText.Shorten(byIdentifier.Value, 64)}. Ask by patient id instead."));
                        }

                        named.UnionWith(found.Select(m => m.Id));
                        break;
                }
            }

            patients = patients is null ? named : [.. patients.Intersect(named)];
        }

        return [.. patients ?? []];
    }

    private static bool Matches(SearchCondition condition, IReadOnlyList<TokenRow> tokens) => condition switch
    {
        TokenCondition token when token.Param is "code" or "category" or "status" => tokens.Any(t =>
            t.Param == token.Param
            && (token.Code is null || t.Code == token.Code)
            && (token.RequireNoSystem ? t.System is null : token.System is null || t.System == token.System)),
        _ => throw FhirException.BadRequest("$lastn filters by patient or subject, code, category and status only.", IssueType.NotSupported),
    };

    // max > 1: earlier values of each current code, newest effective time first, under the same filters, to make up max per code.
    private static async Task<IEnumerable<SearchMatch>> EarlierAsync(string patientId, List<CurrentPreference> current, int max, List<IReadOnlyList<SearchCondition>> filters, IResourceStore store, Caller? caller, AccessPolicy policy, CancellationToken cancellationToken)
    {
        const int Candidates = 100;
        var earlier = new List<SearchMatch>();
        var shown = current.Select(c => c.Match.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var group in current.GroupBy(c => (c.CodeSystem, c.Code)))
        {
            var query = new SearchQuery(ResourceTypes.Observation) { Sort = SearchSort.LastUpdatedDescending }
                .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
                .Where(new TokenCondition("code", group.Key.CodeSystem, group.Key.Code, RequireNoSystem: group.Key.CodeSystem is null));
            query.Clauses.AddRange(filters);
            if (!filters.Any(f => f.Any(c => c is TokenCondition { Param: "status" })))
            {
                // Withdrawn answers are not earlier values, unless the status filter asks for them.
                query.Where([.. new[] { "final", "amended", "corrected", "preliminary" }.Select(s => new TokenCondition("status", null, s))]);
            }

            policy.Restrict(caller, query);
            var older = await store.SearchAsync(query, Candidates, cancellationToken);
            earlier.AddRange(older.Where(m => !shown.Contains(m.Id)).OrderByDescending(m => Effective(m.Json)).Take(Math.Max(0, max - group.Count())));
        }

        return earlier;
    }

    // effectiveDateTime's start, read from the stored JSON without parsing the whole Observation.
    private static long Effective(byte[] json)
    {
        var reader = new System.Text.Json.Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("effectiveDateTime")
                && reader.Read() && reader.GetString() is { } text && Wmtty.Fhir.Search.FhirDateRange.TryParse(text, out var range))
            {
                return range.Low;
            }

            if (reader.TokenType is System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray && reader.CurrentDepth >= 1)
            {
                reader.Skip();
            }
        }

        return long.MinValue;
    }
}
