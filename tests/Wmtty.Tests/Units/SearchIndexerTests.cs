using Hl7.Fhir.Model;
using Wmtty.Fhir.Search;

namespace Wmtty.Tests.Units;

public sealed class SearchIndexerTests
{
    private static readonly Uri Base = new("https://wmtty.example/fhir/");

    private sealed class Rows : IIndexSink
    {
        public List<(string Param, string? System, string Code)> Tokens { get; } = [];
        public List<(string Param, string? Type, string? Id, string? IdentifierSystem, string? IdentifierValue)> References { get; } = [];
        public List<(string Param, FhirDateRange Range)> Dates { get; } = [];
        public List<(string Param, string Normalized, string Exact)> Strings { get; } = [];

        public void Token(string param, string? system, string code) => Tokens.Add((param, system, code));

        public void Reference(string param, string? targetType, string? targetId, string? identifierSystem, string? identifierValue) =>
            References.Add((param, targetType, targetId, identifierSystem, identifierValue));

        public void Date(string param, FhirDateRange range) => Dates.Add((param, range));

        public void String(string param, string normalized, string exact) => Strings.Add((param, normalized, exact));

        public List<(string Param, int Length)> TooLongValues { get; } = [];

        public void TooLong(string param, int length) => TooLongValues.Add((param, length));
    }

    private static Rows Index(Resource resource)
    {
        var rows = new Rows();
        SearchIndexer.Index(resource, rows, Base);
        return rows;
    }

    [Fact]
    public void AnObservationIndexesItsSubjectCodeCategoryStatusAndDate()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "54588-9"),
            Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "social-history")],
            Subject = new ResourceReference("https://wmtty.example/fhir/Patient/p1"),
            Effective = new FhirDateTime("2024-05-17"),
            DerivedFrom = [new ResourceReference("QuestionnaireResponse/r1")],
        };

        var rows = Index(observation);

        Assert.Contains(("code", "http://loinc.org", "54588-9"), rows.Tokens);
        Assert.Contains(("category", "http://terminology.hl7.org/CodeSystem/observation-category", "social-history"), rows.Tokens);
        Assert.Contains(("status", "http://hl7.org/fhir/observation-status", "final"), rows.Tokens);
        Assert.Contains(("patient", "Patient", "p1", null, null), rows.References);
        Assert.Contains(("subject", "Patient", "p1", null, null), rows.References);
        Assert.Contains(("derived-from", "QuestionnaireResponse", "r1", null, null), rows.References);
        Assert.Equal("date", Assert.Single(rows.Dates).Param);
    }

    [Fact]
    public void AReferenceToAnotherServerIsNeverTakenForALocalPatient()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "54588-9"),
            Subject = new ResourceReference("https://elsewhere.example/fhir/Patient/p1"),
        };

        var rows = Index(observation);

        Assert.DoesNotContain(rows.References, r => r.Param == "patient");
        Assert.Contains(("subject", null, "https://elsewhere.example/fhir/Patient/p1", null, null), rows.References);
    }

    [Fact]
    public void ALogicalReferenceKeepsItsIdentifier()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "54588-9"),
            Subject = new ResourceReference { Type = "Patient", Identifier = new Identifier("https://fhir.nhs.uk/Id/nhs-number", "9434765919") },
        };

        var rows = Index(observation);

        Assert.Contains(("patient", null, null, "https://fhir.nhs.uk/Id/nhs-number", "9434765919"), rows.References);
    }

    [Fact]
    public void PatientNamesAreIndexedForLooseAndExactMatching()
    {
        var patient = new Patient { Name = [new HumanName { Family = "Łukasik-Zoë", Given = ["Ånne"] }] };

        var rows = Index(patient);

        Assert.Contains(("family", "lukasik-zoe", "Łukasik-Zoë"), rows.Strings);
        Assert.Contains(("given", "anne", "Ånne"), rows.Strings);
        Assert.Contains(rows.Strings, s => s.Param == "name" && s.Normalized == "anne");
    }

    [Fact]
    public void ACanonicalIsIndexedByUrlAndByUrlWithVersion()
    {
        var response = new QuestionnaireResponse { Questionnaire = "https://wmtty.example/Questionnaire/wmtty|2.0.0", Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed };

        var rows = Index(response);

        Assert.Contains(("questionnaire", null, "https://wmtty.example/Questionnaire/wmtty", null, null), rows.References);
        Assert.Contains(("questionnaire", null, "https://wmtty.example/Questionnaire/wmtty|2.0.0", null, null), rows.References);
    }

    [Fact]
    public void AValueTooLongToIndexIsReportedNotDropped()
    {
        var tooLong = SearchIndexer.MaxValueLength + 1;
        var patient = new Patient { Identifier = [new Identifier("urn:x", new string('9', tooLong))], Name = [new HumanName { Family = new string('k', tooLong) }] };

        var rows = Index(patient);

        Assert.Contains(("identifier", tooLong), rows.TooLongValues);
        Assert.Contains(("family", tooLong), rows.TooLongValues);
        Assert.DoesNotContain(rows.Tokens, t => t.Param == "identifier");
    }

    [Fact]
    public void EveryParameterIsAStandardR4ParameterOfTheRightType()
    {
        foreach (var type in Wmtty.Fhir.Resources.ResourceTypes.Supported)
        {
            foreach (var definition in SearchParameters.For(type))
            {
                var standard = ModelInfo.SearchParameters.Single(s => s.Resource == type && s.Name == definition.Name);
                Assert.Equal(standard.Type, definition.Type);
                Assert.False(string.IsNullOrWhiteSpace(definition.Description));
            }
        }
    }
}
