namespace Wmtty.Tests.Units;

/// <summary>Each project owns one question: the data layer knows no FHIR, the FHIR layer no HTTP or SQL.</summary>
public sealed class ArchitectureTests
{
    private static IEnumerable<string> References(Type type) =>
        type.Assembly.GetReferencedAssemblies().Select(a => a.Name!);

    [Fact]
    public void TheDataLayerReferencesNoFhirTypes() =>
        Assert.DoesNotContain(References(typeof(Wmtty.Data.Storage.WmttyDatabase)), name => name.StartsWith("Hl7.", StringComparison.Ordinal) || name == "Wmtty.Fhir");

    [Fact]
    public void TheFhirLayerReferencesNoAspNetAndNoSql() =>
        Assert.DoesNotContain(References(typeof(Wmtty.Fhir.Patients.NhsNumber)), name =>
            name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || name.StartsWith("Microsoft.Data", StringComparison.Ordinal)
            || name == "Dapper" || name == "Wmtty.Data");
}
