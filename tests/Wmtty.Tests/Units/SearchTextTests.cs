using Wmtty.Fhir.Search;

namespace Wmtty.Tests.Units;

public sealed class SearchTextTests
{
    [Theory]
    [InlineData("Zoë", "zoe")]
    [InlineData("ŁUKASIK", "lukasik")]
    [InlineData("Straße", "strasse")]
    [InlineData("  Khan ", "khan")]
    [InlineData("محمد", "محمد")]
    [InlineData("😀 Smile", "😀 smile")]
    public void ValuesFoldToOneSearchableForm(string value, string expected) => Assert.Equal(expected, SearchText.Normalize(value));

    // Not theory data: xunit re-encodes unpaired surrogates in test case names.
    [Fact]
    public void CodePointsNormalizationRefusesBecomeReplacementCharacters()
    {
        Assert.Equal("x\uFFFDy", SearchText.Normalize("x\uFFFEy"));
        Assert.Equal("x\uFFFDy", SearchText.Normalize("x\uD800y"));
        Assert.Equal("x\uFFFD", SearchText.Normalize("x\uDC00"));
        Assert.Equal("\uD83D\uDE00", SearchText.Normalize("\uD83D\uDE00"));
    }

    [Fact]
    public void LongValuesAreCut() => Assert.Equal(SearchText.MaxLength, SearchText.Normalize(new string('a', 1000)).Length);
}
