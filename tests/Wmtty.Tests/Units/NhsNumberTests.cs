using Wmtty.Fhir.Patients;

namespace Wmtty.Tests.Units;

public sealed class NhsNumberTests
{
    [Theory]
    [InlineData("9434765919")]
    [InlineData("9000000009")]
    [InlineData("4010232137")]
    public void RealCheckDigitsPass(string value) => Assert.True(NhsNumber.IsValid(value));

    [Theory]
    [InlineData("9434765918", "should be 9, not 8")]
    [InlineData("943476591", "exactly 10 digits")]
    [InlineData("94347659190", "exactly 10 digits")]
    [InlineData("943476591X", "exactly 10 digits")]
    [InlineData("943-476-5919", "exactly 10 digits")]
    [InlineData("١٢٣٤٥٦٧٨٩٠", "exactly 10 digits")]
    [InlineData("1000000010", "gives 10")]
    [InlineData("0000000000", "same digit")]
    [InlineData("1111111111", "same digit")]
    [InlineData("", "required")]
    [InlineData(null, "required")]
    public void OtherValuesFailWithAReason(string? value, string reason)
    {
        Assert.False(NhsNumber.IsValid(value));
        Assert.Contains(reason, NhsNumber.Check(value));
    }
}
