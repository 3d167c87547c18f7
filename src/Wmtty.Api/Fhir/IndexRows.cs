using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Search;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Fhir;

/// <summary>Collects what <see cref="SearchIndexer"/> finds into the data layer's row types.</summary>
internal sealed class IndexRows : IIndexSink
{
    private readonly ResourceIndex index = new();
    private readonly List<OperationOutcome.IssueComponent> tooLong = [];

    /// <summary>The resource's index rows; 422 if a searchable value is too long to index.</summary>
    public static ResourceIndex For(Resource resource, Uri? localBase)
    {
        var rows = new IndexRows();
        SearchIndexer.Index(resource, rows, localBase);
        if (rows.tooLong.Count > 0)
        {
            throw FhirException.Unprocessable(FhirOutcome.Of(rows.tooLong));
        }

        return rows.index;
    }

    public void TooLong(string param, int length) => tooLong.Add(FhirOutcome.Issue(
        OperationOutcome.IssueSeverity.Error, IssueType.TooLong,
        $"A '{param}' value is {length} characters long; the most this service can search by is {SearchIndexer.MaxValueLength}. Shorten it."));

    public void Token(string param, string? system, string code) => index.Tokens.Add(new TokenRow(param, system, code));

    public void Reference(string param, string? targetType, string? targetId, string? identifierSystem, string? identifierValue) =>
        index.References.Add(new ReferenceRow(param, targetType, targetId, identifierSystem, identifierValue));

    public void Date(string param, FhirDateRange range) => index.Dates.Add(new DateRow(param, range.Low, range.High));

    public void String(string param, string normalized, string exact) => index.Strings.Add(new StringRow(param, normalized, exact));
}
