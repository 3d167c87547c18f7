using Hl7.Fhir.Model;
using Wmtty.Fhir.Resources;

namespace Wmtty.Fhir.Search;

/// <summary>Receives the index rows of one resource. The data layer's row types stay out of this project.</summary>
public interface IIndexSink
{
    void Token(string param, string? system, string code);

    void Reference(string param, string? targetType, string? targetId, string? identifierSystem, string? identifierValue);

    void Date(string param, FhirDateRange range);

    /// <param name="normalized">Lower case without accents (<see cref="SearchText.Normalize"/>).</param>
    /// <param name="exact">As written, for <c>:exact</c>.</param>
    void String(string param, string normalized, string exact);

    /// <summary>A value too long to index, so the resource could not be found by it: the write is refused.</summary>
    void TooLong(string param, int length);
}

/// <summary>Computes a resource's search index rows from the <see cref="SearchParameters"/> of its type.</summary>
public static class SearchIndexer
{
    /// <summary>The longest value the index keeps. A longer one is refused, never silently left unsearchable.</summary>
    public const int MaxValueLength = SearchText.MaxLength;

    /// <param name="localBase">This server's FHIR base, so absolute references to it index as local ones.</param>
    public static void Index(Resource resource, IIndexSink sink, Uri? localBase)
    {
        foreach (var definition in SearchParameters.For(resource.TypeName))
        {
            foreach (var value in definition.Select(resource))
            {
                if (value is null)
                {
                    continue;
                }

                switch (definition.Type)
                {
                    case SearchParamType.Token:
                    case SearchParamType.Uri:
                        IndexToken(definition.Name, value, sink);
                        break;
                    case SearchParamType.String:
                        IndexString(definition.Name, value, sink);
                        break;
                    case SearchParamType.Date:
                        IndexDate(definition.Name, value, sink);
                        break;
                    case SearchParamType.Reference:
                        IndexReference(definition, value, sink, localBase);
                        break;
                }
            }
        }
    }

    private static void IndexToken(string param, Base value, IIndexSink sink)
    {
        switch (value)
        {
            case Identifier identifier when !string.IsNullOrEmpty(identifier.Value):
                Token(sink, param, identifier.System, identifier.Value);
                break;
            case ICoded coded:
                foreach (var coding in coded.ToCodings())
                {
                    if (!string.IsNullOrEmpty(coding.Code))
                    {
                        Token(sink, param, coding.System, coding.Code);
                    }
                }

                break;
            case FhirBoolean { Value: { } flag }:
                sink.Token(param, null, flag ? "true" : "false");
                break;
            case ContactPoint { Value: { Length: > 0 } contact }:
                Token(sink, param, null, contact);
                break;
            case PrimitiveType primitive when primitive.ToString() is { Length: > 0 } text:
                Token(sink, param, null, text);
                break;
        }
    }

    private static void Token(IIndexSink sink, string param, string? system, string code)
    {
        if (Fits(sink, param, code) && Fits(sink, param, system))
        {
            sink.Token(param, string.IsNullOrEmpty(system) ? null : system, code);
        }
    }

    private static bool Fits(IIndexSink sink, string param, string? value)
    {
        if (value is null || value.Length <= MaxValueLength)
        {
            return true;
        }

        sink.TooLong(param, value.Length);
        return false;
    }

    private static void IndexString(string param, Base value, IIndexSink sink)
    {
        IEnumerable<string?> texts = value switch
        {
            HumanName name => [name.Text, name.Family, .. name.Given, .. name.Prefix, .. name.Suffix],
            Address address => [address.Text, .. address.Line, address.City, address.District, address.State, address.PostalCode, address.Country],
            PrimitiveType primitive => [primitive.ToString()],
            _ => [],
        };

        foreach (var text in texts.Distinct())
        {
            if (!string.IsNullOrWhiteSpace(text) && Fits(sink, param, text))
            {
                sink.String(param, SearchText.Normalize(text), SearchText.Exact(text));
            }
        }
    }

    private static void IndexDate(string param, Base value, IIndexSink sink)
    {
        if (ToRange(value) is { } range)
        {
            sink.Date(param, range);
        }
    }

    private static FhirDateRange? ToRange(Base value)
    {
        switch (value)
        {
            case Instant { Value: { } instant }:
                return FhirDateRange.Instant(instant);
            case FhirDateTime dateTime when FhirDateRange.TryParse(dateTime.Value, out var range):
                return range;
            case Date date when FhirDateRange.TryParse(date.Value, out var range):
                return range;
            case Period period:
                var start = period.StartElement is { } s && FhirDateRange.TryParse(s.Value, out var from) ? from.Low : FhirDateRange.MinValue;
                var end = period.EndElement is { } e && FhirDateRange.TryParse(e.Value, out var to) ? to.High : FhirDateRange.MaxValue;
                return start == FhirDateRange.MinValue && end == FhirDateRange.MaxValue ? null : new FhirDateRange(start, end);
            default:
                return null;
        }
    }

    private static void IndexReference(SearchParameterDefinition definition, Base value, IIndexSink sink, Uri? localBase)
    {
        switch (value)
        {
            case ResourceReference reference:
                var target = LocalReference.Parse(reference.Reference, localBase);
                var identifier = reference.Identifier is { Value: { Length: > 0 } } id ? id : null;

                // Only patients have NHS numbers, so a reference by one is a reference to a Patient.
                var type = target?.Type ?? reference.Type ?? (identifier?.System == Patients.NhsNumber.System ? ResourceTypes.Patient : null);
                var typeAllowed = type is null
                    ? !definition.TargetTypeRequired
                    : definition.TargetTypes.Count == 0 || definition.TargetTypes.Contains(type);
                if (!typeAllowed)
                {
                    return;
                }

                if ((target is not null || identifier is not null)
                    && Fits(sink, definition.Name, target?.Id) && Fits(sink, definition.Name, identifier?.System) && Fits(sink, definition.Name, identifier?.Value))
                {
                    sink.Reference(definition.Name, target?.Type, target?.Id, identifier?.System, identifier?.Value);
                }

                break;

            case Canonical { Value: { Length: > 0 } canonical }:
                // A canonical matches by its URL alone or by URL|version; one that names a resource on
                // this server ("Questionnaire/123", or this server's URL) also matches as that resource.
                if (!Fits(sink, definition.Name, canonical))
                {
                    break;
                }

                var bar = canonical.IndexOf('|');
                var url = bar < 0 ? canonical : canonical[..bar];
                sink.Reference(definition.Name, null, url, null, null);
                if (bar >= 0)
                {
                    sink.Reference(definition.Name, null, canonical, null, null);
                }

                if (LocalReference.Parse(url, localBase) is { Type: { } localType } local
                    && (definition.TargetTypes.Count == 0 || definition.TargetTypes.Contains(localType)))
                {
                    sink.Reference(definition.Name, localType, local.Id, null, null);
                }

                break;
        }
    }
}
