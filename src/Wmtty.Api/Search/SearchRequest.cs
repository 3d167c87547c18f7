using System.Globalization;
using Hl7.Fhir.Model;
using Wmtty.Api.Errors;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;
using SearchParameters = Wmtty.Fhir.Search.SearchParameters;

namespace Wmtty.Api.Search;

/// <summary>
/// A FHIR search request read from its parameters: the data-layer query plus paging, totals, the
/// parameters to repeat in links, and the warnings for parameters that were ignored.
/// </summary>
internal sealed class SearchRequest
{
    public const int DefaultCount = 20;
    public const int MaxCount = 200;

    /// <summary>More alternatives than this in one search is refused rather than sent to the database.</summary>
    public const int MaxConditions = 500;

    private static readonly HashSet<string> PassThrough = ["_format", "_pretty"];
    private static readonly HashSet<string> Controls = ["_count", "_sort", "_summary", "_total", SearchCursors.Parameter];

    private bool totalAsked;

    private SearchRequest(SearchQuery query) => Query = query;

    public SearchQuery Query { get; }

    /// <summary><c>_summary=count</c> or <c>_count=0</c>: the total only, no entries.</summary>
    public bool CountOnly { get; private set; }

    /// <summary>Count the matches: asked for by <c>_total=accurate</c>, and always part of a count-only answer.</summary>
    public bool IncludeTotal => CountOnly || totalAsked;

    /// <summary>The parameters that shaped the result, in request order, to rebuild self and next links.</summary>
    public List<KeyValuePair<string, string>> LinkParameters { get; } = [];

    public List<OperationOutcome.IssueComponent> Warnings { get; } = [];

    private bool strict; // Prefer: handling=strict: what lenient handling adjusts and reports is an error instead

    /// <summary>_include: the reference parameters of the matches whose targets come too, each with an optional target type.</summary>
    public List<(string Param, string? TargetType)> Includes { get; } = [];

    /// <param name="strict">Unknown or unsupported parameters are an error (400) rather than ignored and reported.</param>
    public static SearchRequest Parse(string type, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, Uri localBase)
    {
        var request = new SearchRequest(new SearchQuery(type) { Count = DefaultCount }) { strict = strict };
        string? cursor = null;
        var controlsSeen = new HashSet<string>();
        foreach (var (name, value) in parameters)
        {
            if (Controls.Contains(name))
            {
                if (value.Length == 0)
                {
                    continue; // an empty value is ignored, as for any search parameter
                }

                if (!controlsSeen.Add(name))
                {
                    throw FhirException.BadRequest($"'{name}' is given more than once; give it once.");
                }
            }

            if (name == SearchCursors.Parameter)
            {
                cursor = value;
                continue;
            }

            if (PassThrough.Contains(name))
            {
                // Given more than once (query and form), the last wins, as in format negotiation.
                request.LinkParameters.RemoveAll(p => p.Key == name);
                request.LinkParameters.Add(new(name, value));
                continue;
            }

            if (request.TryControl(name, value) || request.TryInclude(type, name, value) || request.TryFilter(type, name, value, localBase))
            {
                // Links repeat the page size actually used, which may be less than asked for.
                request.LinkParameters.Add(new(name, name == "_count" ? request.Query.Count.ToString(CultureInfo.InvariantCulture) : value));
                continue;
            }

            var why = $"The search parameter '{name}' is not supported for {type}";
            if (strict)
            {
                throw FhirException.BadRequest(why + ".", IssueType.NotSupported);
            }

            request.Warnings.Add(FhirOutcome.Issue(OperationOutcome.IssueSeverity.Warning, IssueType.NotSupported, why + " and was ignored."));
        }

        var conditions = request.Query.Clauses.Sum(c => c.Count);
        if (conditions > MaxConditions)
        {
            throw new FhirException(StatusCodes.Status400BadRequest, FhirOutcome.Error(IssueType.TooCostly,
                $"The search has {conditions} criteria; at most {MaxConditions} are accepted. Split it into several searches."));
        }

        if (cursor is not null)
        {
            request.Query.After = SearchCursors.TryParse(cursor, request.Query.Sort, out var after)
                ? after
                : throw FhirException.BadRequest("The _cursor value is not valid for this search. Follow the next link exactly as it was given.");
        }

        return request;
    }

    private bool TryControl(string name, string value)
    {
        switch (name)
        {
            case "_count":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                {
                    throw FhirException.BadRequest($"_count must be a whole number from 0 to {MaxCount}, not '{SearchConditions.Shorten(value)}'.");
                }

                if (count > MaxCount && strict)
                {
                    throw FhirException.BadRequest($"_count={count} is more than {MaxCount}, the largest page this service returns (Prefer: handling=strict).", IssueType.TooCostly);
                }

                if (count > MaxCount)
                {
                    Warnings.Add(FhirOutcome.Issue(OperationOutcome.IssueSeverity.Information, IssueType.TooCostly, $"_count={count} was reduced to {MaxCount}, the largest page this service returns."));
                    count = MaxCount;
                }

                Query.Count = count;
                CountOnly |= count == 0;
                return true;

            case "_sort":
                Query.Sort = value switch
                {
                    "_lastUpdated" => SearchSort.LastUpdatedAscending,
                    "-_lastUpdated" => SearchSort.LastUpdatedDescending,
                    _ => throw FhirException.BadRequest($"_sort '{SearchConditions.Shorten(value)}' is not supported. Use _lastUpdated or -_lastUpdated.", IssueType.NotSupported),
                };
                return true;

            case "_summary" when value == "count":
                CountOnly = true;
                return true;

            case "_summary" when value == "false":
                return true;

            case "_total":
                totalAsked = value switch
                {
                    "accurate" => true,
                    "none" or "estimate" => false,
                    _ => throw FhirException.BadRequest($"_total must be none, estimate or accurate, not '{SearchConditions.Shorten(value)}'."),
                };
                return true;

            default:
                return false;
        }
    }

    // _include=Type:param[:TargetType], for this type's reference parameters; :iterate and * are not supported.
    private bool TryInclude(string type, string name, string value)
    {
        if (name != "_include")
        {
            return false;
        }

        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0] != type
            || SearchParameters.Find(type, parts[1]) is not { Type: SearchParamType.Reference } definition
            || (parts.Length == 3 && !definition.TargetTypes.Contains(parts[2])))
        {
            return false; // reported as not supported, as any unknown parameter
        }

        if (Includes.Count >= 5)
        {
            throw FhirException.BadRequest("At most 5 _include parameters are accepted.", IssueType.TooCostly);
        }

        Includes.Add((parts[1], parts.Length == 3 ? parts[2] : null));
        return true;
    }

    private bool TryFilter(string type, string name, string value, Uri localBase)
    {
        var colon = name.IndexOf(':');
        var code = colon < 0 ? name : name[..colon];
        var modifier = colon < 0 ? null : name[(colon + 1)..];

        if (code is "_id" or "_lastUpdated")
        {
            SearchConditions.RejectModifier(name, modifier);
            var alternatives = Alternatives(value);
            if (code == "_id" && alternatives.FirstOrDefault(v => !ResourceTypes.IsValidId(v)) is { } notAnId)
            {
                throw FhirException.BadRequest($"_id takes resource ids (1 to 64 letters, digits, '-' and '.'), not '{SearchConditions.Shorten(notAnId)}'.");
            }

            if (alternatives.Count > 0)
            {
                Query.Where([.. alternatives.Select(v => code == "_id" ? (SearchCondition)new IdCondition(v) : SearchConditions.LastUpdated(v))]);
            }

            return true;
        }

        var definition = SearchParameters.Find(type, code);
        if (definition is null)
        {
            return false;
        }

        var conditions = new List<SearchCondition>();
        foreach (var alternative in Alternatives(value))
        {
            conditions.Add(definition.Type switch
            {
                SearchParamType.Token => SearchConditions.Token(definition, name, modifier, alternative),
                SearchParamType.Uri => SearchConditions.Uri(definition, name, modifier, alternative),
                SearchParamType.String => SearchConditions.Text(definition, name, modifier, alternative),
                SearchParamType.Date => SearchConditions.Date(definition, name, modifier, alternative),
                SearchParamType.Reference => SearchConditions.Reference(definition, name, modifier, alternative, localBase),
                _ => throw FhirException.BadRequest($"Searching by '{name}' is not supported.", IssueType.NotSupported),
            });
        }

        if (conditions.Count > 0)
        {
            Query.Where([.. conditions]);
        }

        return true;
    }

    // Empty alternatives are ignored, as FHIR says of empty parameter values.
    private static List<string> Alternatives(string value) =>
        SearchValues.SplitUnescaped(value, ',').Where(v => v.Length > 0).ToList();
}
