using Wmtty.Fhir.Search;

namespace Wmtty.Tests.Units;

public sealed class FhirDateRangeTests
{
    private static long Ms(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Theory]
    [InlineData("2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999Z")]
    [InlineData("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999Z")]
    [InlineData("2024-05-17", "2024-05-17T00:00:00Z", "2024-05-17T23:59:59.999Z")]
    [InlineData("2024-05-17T10:30", "2024-05-17T10:30:00Z", "2024-05-17T10:30:59.999Z")]
    [InlineData("2024-05-17T10:30:15Z", "2024-05-17T10:30:15Z", "2024-05-17T10:30:15.999Z")]
    [InlineData("2024-05-17T10:30:15.25Z", "2024-05-17T10:30:15.250Z", "2024-05-17T10:30:15.250Z")]
    [InlineData("2024-05-17T11:30:15+01:00", "2024-05-17T10:30:15Z", "2024-05-17T10:30:15.999Z")]
    [InlineData("2024-05-17T05:30:15-05:00", "2024-05-17T10:30:15Z", "2024-05-17T10:30:15.999Z")]
    [InlineData("9999", "9999-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z")]
    [InlineData("9999-12-31", "9999-12-31T00:00:00Z", "9999-12-31T23:59:59.999Z")]
    public void ADateCoversItsWholePrecision(string value, string low, string high)
    {
        Assert.True(FhirDateRange.TryParse(value, out var range));
        Assert.Equal(Ms(low), range.Low);
        Assert.Equal(Ms(high), range.High);
    }

    [Theory]
    [InlineData("2023-02-29")]
    [InlineData("2024-13")]
    [InlineData("2024-00-10")]
    [InlineData("24-05-17")]
    [InlineData("2024-05-17T25:00")]
    [InlineData("2024-05-17T10:61")]
    [InlineData("2024-05-17T10:30:15+15:00")]
    [InlineData("2024-05-17 10:30")]
    [InlineData("yesterday")]
    [InlineData("")]
    [InlineData("0000")]
    [InlineData("2024-05-00")]
    [InlineData("2024-00")]
    [InlineData("0000-01-01")]
    [InlineData("\u0662\u0660\u0662\u0664")]
    [InlineData("2024-\u0660\u0661")]
    public void NonsenseIsRejected(string value) => Assert.False(FhirDateRange.TryParse(value, out _));

    [Fact]
    public void OffsetsAtTheEdgesOfTimeStillParse()
    {
        Assert.True(FhirDateRange.TryParse("0001-01-01T00:00:00+14:00", out var early));
        Assert.Equal(FhirDateRange.MinValue - 14 * 3_600_000L, early.Low);
        Assert.True(FhirDateRange.TryParse("9999-12-31T23:59:59-14:00", out var late));
        Assert.True(late.Low > FhirDateRange.MaxValue);
    }
}
