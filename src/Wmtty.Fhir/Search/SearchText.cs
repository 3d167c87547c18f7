using System.Globalization;
using System.Text;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Search;

/// <summary>String search values are matched without regard to case or accents: "Zoë" finds "zoe".</summary>
public static class SearchText
{
    /// <summary>
    /// Search values are cut here; the index refuses longer values (see <see cref="SearchIndexer.MaxValueLength"/>).
    /// 256 UTF-16 code units: two values of a row fit one SQL Server index key (1,700 bytes), so both
    /// databases index, and refuse, exactly the same values.
    /// </summary>
    public const int MaxLength = 256;

    /// <summary>The value as written, cut to <see cref="MaxLength"/>, for <c>:exact</c>.</summary>
    public static string Exact(string value) => value.Length <= MaxLength ? value : value[..MaxLength];

    public static string Normalize(string value)
    {
        // Search values come straight from a query string and may hold code points that Unicode
        // normalization refuses (unpaired surrogates, U+FFFE); those can match nothing anyway.
        var decomposed = Decompose(value);
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

        var normalized = Compose(builder.ToString()).Trim();
        return normalized.Length <= MaxLength ? normalized : normalized[..MaxLength];
    }

    // Normalization refuses unpaired surrogates and U+FFFE; as U+FFFD they match nothing real.
    private static string Decompose(string value) => FhirText.ReplaceForbidden(value).Normalize(NormalizationForm.FormD);

    private static string Compose(string value) => value.Normalize(NormalizationForm.FormC);

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
