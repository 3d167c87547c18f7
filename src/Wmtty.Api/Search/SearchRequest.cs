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

    /// <param name="strict">Unknown or unsupported parameters are an error (400) rather than ignored and reported.</param>
    public static SearchRequest Parse(string type, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, Uri localBase)
    {
        var request = new SearchRequest(new SearchQuery(type) { Count = DefaultCount });
        string? cursor = null;
        foreach (var (name, value) in parameters)
        {
            if (name == SearchCursors.Parameter)
            {
                cursor = value;
                continue;
            }

            if (PassThrough.Contains(name))
            {
                request.LinkParameters.Add(new(name, value));
                continue;
            }

            if (request.TryControl(name, value) || request.TryFilter(type, name, value, localBase))
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
                    throw FhirException.BadRequest($"_count must be a whole number from 0 to {MaxCount}, not '{Shorten(value)}'.");
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
                    _ => throw FhirException.BadRequest($"_sort '{Shorten(value)}' is not supported. Use _lastUpdated or -_lastUpdated.", IssueType.NotSupported),
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
                    _ => throw FhirException.BadRequest($"_total must be none, estimate or accurate, not '{Shorten(value)}'."),
                };
                return true;

            default:
                return false;
        }
    }

    private bool TryFilter(string type, string name, string value, Uri localBase)
    {
        var colon = name.IndexOf(':');
        var code = colon < 0 ? name : name[..colon];
        var modifier = colon < 0 ? null : name[(colon + 1)..];

        if (code is "_id" or "_lastUpdated")
        {
            RejectModifier(name, modifier);
            var alternatives = Alternatives(value);
            if (alternatives.Count > 0)
            {
                Query.Where([.. alternatives.Select(v => code == "_id" ? (SearchCondition)new IdCondition(v) : LastUpdated(v))]);
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
                SearchParamType.Token => Token(definition, name, modifier, alternative),
                SearchParamType.Uri => Uri(definition, name, modifier, alternative),
                SearchParamType.String => Text(definition, name, modifier, alternative),
                SearchParamType.Date => Date(definition, name, modifier, alternative),
                SearchParamType.Reference => Reference(definition, name, modifier, alternative, localBase),
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

    private static TokenCondition Token(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        RejectModifier(name, modifier);
        var parts = SearchValues.SplitUnescaped(value, '|');
        if (parts.Count == 1)
        {
            return new TokenCondition(definition.Name, null, SearchValues.Unescape(parts[0]));
        }

        if (parts.Count != 2)
        {
            throw FhirException.BadRequest($"'{name}' takes [system]|[code], not '{Shorten(value)}'.");
        }

        var system = SearchValues.Unescape(parts[0]);
        var code = SearchValues.Unescape(parts[1]);
        return system.Length == 0
            ? new TokenCondition(definition.Name, null, code, RequireNoSystem: true)
            : new TokenCondition(definition.Name, system, code.Length == 0 ? null : code);
    }

    private static TokenCondition Uri(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        RejectModifier(name, modifier);
        return new TokenCondition(definition.Name, null, SearchValues.Unescape(value));
    }

    private static StringCondition Text(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        var match = modifier switch
        {
            null => StringMatch.StartsWith,
            "exact" => StringMatch.Exact,
            "contains" => StringMatch.Contains,
            _ => throw UnsupportedModifier(name),
        };

        var unescaped = SearchValues.Unescape(value);
        return new StringCondition(definition.Name, match == StringMatch.Exact ? SearchText.Exact(unescaped) : SearchText.Normalize(unescaped), match);
    }

    private static DateCondition Date(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        RejectModifier(name, modifier);
        var (comparator, range) = ParseDate(name, value);
        return new DateCondition(definition.Name, comparator, range.Low, range.High);
    }

    private static LastUpdatedCondition LastUpdated(string value)
    {
        var (comparator, range) = ParseDate("_lastUpdated", value);
        return new LastUpdatedCondition(comparator, range.Low, range.High);
    }

    private static SearchCondition Reference(SearchParameterDefinition definition, string name, string? modifier, string value, Uri localBase)
    {
        var unescaped = SearchValues.Unescape(value);
        if (modifier == "identifier")
        {
            var parts = SearchValues.SplitUnescaped(value, '|');
            var (system, identifier) = parts.Count == 2
                ? (SearchValues.Unescape(parts[0]), SearchValues.Unescape(parts[1]))
                : (null, unescaped);
            if (identifier.Length == 0)
            {
                throw FhirException.BadRequest($"'{name}' needs an identifier value, as in system|value.");
            }

            var targets = ResourceTypes.Supported
                .Where(t => (definition.TargetTypes.Count == 0 || definition.TargetTypes.Contains(t)) && SearchParameters.Find(t, "identifier") is not null)
                .ToList();
            return new ReferenceIdentifierCondition(definition.Name, string.IsNullOrEmpty(system) ? null : system, identifier, targets, "identifier");
        }

        string? targetType = null;
        if (modifier is not null)
        {
            if (!ModelInfo.IsKnownResource(modifier) || (definition.TargetTypes.Count > 0 && !definition.TargetTypes.Contains(modifier)))
            {
                throw UnsupportedModifier(name);
            }

            targetType = modifier;
        }

        if (!unescaped.Contains('/', StringComparison.Ordinal) && !unescaped.Contains(':', StringComparison.Ordinal))
        {
            return new ReferenceCondition(definition.Name, targetType, unescaped);
        }

        var reference = LocalReference.Parse(unescaped, localBase)
            ?? throw FhirException.BadRequest($"'{name}' takes a reference such as Patient/123, not '{Shorten(value)}'.");
        if (targetType is not null && reference.Type is not null && reference.Type != targetType)
        {
            throw FhirException.BadRequest($"'{name}' names type {targetType}, but the value refers to a {reference.Type}.");
        }

        return new ReferenceCondition(definition.Name, reference.Type ?? targetType, reference.Id);
    }

    private static (Comparator, FhirDateRange) ParseDate(string name, string value)
    {
        // A '+' time-zone offset arrives as a space when the client did not percent-encode it.
        var text = value.Replace(' ', '+');
        var comparator = Comparator.Eq;
        if (text.Length > 2 && char.IsAsciiLetterLower(text[0]) && char.IsAsciiLetterLower(text[1]))
        {
            comparator = text[..2] switch
            {
                "eq" => Comparator.Eq,
                "ne" => Comparator.Ne,
                "gt" => Comparator.Gt,
                "lt" => Comparator.Lt,
                "ge" => Comparator.Ge,
                "le" => Comparator.Le,
                "sa" => Comparator.Sa,
                "eb" => Comparator.Eb,
                _ => throw FhirException.BadRequest($"'{name}' has an unsupported prefix '{text[..2]}'. Use eq, ne, gt, lt, ge, le, sa or eb."),
            };
            text = text[2..];
        }

        return FhirDateRange.TryParse(text, out var range)
            ? (comparator, range)
            : throw FhirException.BadRequest($"'{name}' needs a FHIR date such as 2024, 2024-05, 2024-05-17 or 2024-05-17T10:30:00Z, not '{Shorten(value)}'.");
    }

    private static void RejectModifier(string name, string? modifier)
    {
        if (modifier is not null)
        {
            throw UnsupportedModifier(name);
        }
    }

    private static FhirException UnsupportedModifier(string name) =>
        FhirException.BadRequest($"The modifier in '{Shorten(name)}' is not supported.", IssueType.NotSupported);

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..60] + "…";
}
