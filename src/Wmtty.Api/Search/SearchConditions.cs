using Hl7.Fhir.Model;
using Wmtty.Api.Errors;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using SearchParameters = Wmtty.Fhir.Search.SearchParameters;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Search;

/// <summary>
/// Reads one search value, with its modifier, into a data-layer condition as FHIR defines the syntax of
/// each parameter type. A value or modifier that cannot be honoured is a 400, never silently dropped.
/// </summary>
internal static class SearchConditions
{
    public static TokenCondition Token(SearchParameterDefinition definition, string name, string? modifier, string value)
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

    public static TokenCondition Uri(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        RejectModifier(name, modifier);
        return new TokenCondition(definition.Name, null, SearchValues.Unescape(value));
    }

    public static StringCondition Text(SearchParameterDefinition definition, string name, string? modifier, string value)
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

    public static DateCondition Date(SearchParameterDefinition definition, string name, string? modifier, string value)
    {
        RejectModifier(name, modifier);
        var (comparator, range) = ParseDate(name, value);
        return new DateCondition(definition.Name, comparator, range.Low, range.High);
    }

    public static LastUpdatedCondition LastUpdated(string value)
    {
        var (comparator, range) = ParseDate("_lastUpdated", value);
        return new LastUpdatedCondition(comparator, range.Low, range.High);
    }

    public static SearchCondition Reference(SearchParameterDefinition definition, string name, string? modifier, string value, Uri localBase)
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

        // url|version names one version of a canonical resource; the index keeps that form as it is.
        if (unescaped.Contains('|', StringComparison.Ordinal))
        {
            return new ReferenceCondition(definition.Name, null, unescaped);
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

    public static void RejectModifier(string name, string? modifier)
    {
        if (modifier is not null)
        {
            throw UnsupportedModifier(name);
        }
    }

    private static FhirException UnsupportedModifier(string name) =>
        FhirException.BadRequest($"The modifier in '{Shorten(name)}' is not supported.", IssueType.NotSupported);

    public static string Shorten(string value) => FhirText.Shorten(value, 60);
}
