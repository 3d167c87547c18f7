using Hl7.Fhir.Model;
using Wmtty.Fhir.Measures;

namespace Wmtty.Tests.Measures;

/// <summary>The area the figures break down by: a practice's ODS code, or a postcode's district; never the whole postcode.</summary>
public sealed class MeasureFactTests
{
    [Theory]
    [InlineData("LU1 3LU", "LU1")]
    [InlineData("lu13lu", "LU1")]
    [InlineData(" LU4  9AB ", "LU4")]
    [InlineData("MK40 1AB", "MK40")]
    [InlineData("SW1A 1AA", "SW1A")]
    [InlineData("EC1A1BB", "EC1A")]
    [InlineData("LU1", "LU1")]
    [InlineData("not a postcode", null)]
    [InlineData("12345", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void APostcodeGivesOnlyItsDistrict(string? postcode, string? district) =>
        Assert.Equal(district, MeasureFacts.PostcodeDistrict(postcode));

    [Fact]
    public void TheAreaComesFromTheRegisteredPracticeAndTheHomeAddress()
    {
        var patient = new Patient
        {
            GeneralPractitioner = [new ResourceReference { Identifier = new Identifier(MeasureFacts.OdsSystem, "e81046") }],
            Address =
            [
                new Address { Use = Address.AddressUse.Work, PostalCode = "MK9 2FP" },
                new Address { Use = Address.AddressUse.Home, PostalCode = "LU2 7AB" },
            ],
        };

        var facts = new MeasureFacts("pl", "connector", null, null, []).InArea(patient);

        Assert.Equal("E81046", facts.Practice);
        Assert.Equal("LU2", facts.District);
        Assert.DoesNotContain("7AB", facts.ToString());
    }

    [Fact]
    public void APatientWithNoPracticeCodeOrPostcodeHasNoArea()
    {
        var patient = new Patient { GeneralPractitioner = [new ResourceReference("Organization/1")], Address = [new Address { City = "Luton" }] };

        var facts = new MeasureFacts(null, null, null, null, []).InArea(patient);

        Assert.Null(facts.Practice);
        Assert.Null(facts.District);
    }
}
