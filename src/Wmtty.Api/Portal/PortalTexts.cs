using System.Collections.Frozen;
using System.Text.Json;

namespace Wmtty.Api.Portal;

/// <summary>
/// The portal's own words (buttons, progress, errors) in each language, from the embedded
/// <c>portal-texts.json</c>, keyed by the English. The questionnaire's texts come from the
/// Questionnaire itself. A text with no translation falls back to English.
/// </summary>
internal sealed class PortalTexts
{
    private static readonly Lazy<PortalTexts> Embedded = new(Load);

    // Scripts written right to left; the layout mirrors for them.
    private static readonly FrozenSet<string> RightToLeft = new[] { "ar", "ur", "fa", "he", "ps", "sd", "ckb", "dv", "yi", "ug" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> texts;
    private readonly FrozenDictionary<string, string> languageNames;

    private PortalTexts(FrozenDictionary<string, FrozenDictionary<string, string>> texts, FrozenDictionary<string, string> languageNames)
    {
        this.texts = texts;
        this.languageNames = languageNames;
    }

    public static PortalTexts Default => Embedded.Value;

    /// <summary>Every language the portal's own words are in, for pages shown before the questionnaire is known.</summary>
    public IReadOnlyList<string> Languages => [.. languageNames.Keys.OrderBy(k => k == "en" ? 0 : 1)];

    /// <summary><paramref name="english"/> in <paramref name="language"/>, with any {0}, {1} filled in.</summary>
    public string Get(string language, string english, params string[] values)
    {
        var text = texts.TryGetValue(english, out var translated) && translated.TryGetValue(language, out var found) && found.Length > 0 ? found : english;
        for (var i = 0; i < values.Length; i++)
        {
            text = text.Replace("{" + i + "}", values[i], StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The language's name in its own script ("Polski", "اردو"), for the language picker.</summary>
    public string NameOf(string language) => languageNames.GetValueOrDefault(language) ?? language;

    public static bool IsRightToLeft(string language) => RightToLeft.Contains(language.Split('-')[0]);

    private static PortalTexts Load()
    {
        using var stream = typeof(PortalTexts).Assembly.GetManifestResourceStream("Wmtty.Api.Portal.portal-texts.json")
            ?? throw new InvalidOperationException("The embedded portal-texts.json is missing.");
        using var document = JsonDocument.Parse(stream);
        var texts = document.RootElement.GetProperty("texts").EnumerateObject().ToFrozenDictionary(
            entry => entry.Name,
            entry => entry.Value.EnumerateObject().ToFrozenDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal),
            StringComparer.Ordinal);
        var names = document.RootElement.GetProperty("languageNames").EnumerateObject()
            .ToFrozenDictionary(p => p.Name, p => p.Value.GetString() ?? p.Name, StringComparer.Ordinal);
        return new PortalTexts(texts, names);
    }
}
