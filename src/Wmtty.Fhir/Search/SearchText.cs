using System.Globalization;
using System.Text;

namespace Wmtty.Fhir.Search;

/// <summary>String search values are matched without regard to case or accents: "Zoë" finds "zoe".</summary>
public static class SearchText
{
    /// <summary>Longer values are cut here, in the index and in searches alike, to keep the index small.</summary>
    public const int MaxLength = 200;

    /// <summary>The value as written, cut to <see cref="MaxLength"/>, for <c>:exact</c>.</summary>
    public static string Exact(string value) => value.Length <= MaxLength ? value : value[..MaxLength];

    public static string Normalize(string value)
    {
        var decomposed = value.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            var lower = char.ToLowerInvariant(c);
            builder.Append(Fold(lower) ?? lower.ToString());
        }

        var normalized = builder.ToString().Normalize(NormalizationForm.FormC).Trim();
        return normalized.Length <= MaxLength ? normalized : normalized[..MaxLength];
    }

    // Letters with a stroke or ligature have no decomposition, but people type them without it:
    // "Lukasik" should find "Łukasik".
    private static string? Fold(char c) => c switch
    {
        'ł' => "l",
        'đ' => "d",
        'ø' => "o",
        'ħ' => "h",
        'ı' => "i",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => null,
    };
}
