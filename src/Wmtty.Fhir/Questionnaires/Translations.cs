using System.Text.Json;
using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Questionnaires;

/// <summary>
/// The questionnaire's texts in the languages of Luton's communities, read from the embedded
/// <c>translations.json</c> and attached to each text as the FHIR <c>translation</c> extension.
/// </summary>
public sealed class Translations
{
    public const string ExtensionUrl = "http://hl7.org/fhir/StructureDefinition/translation";

    /// <summary>The base language, and the eight others every text is translated into.</summary>
    public const string BaseLanguage = "en";

    public static IReadOnlyList<string> Languages { get; } = ["pl", "ro", "ur", "bn", "pa", "gu", "so", "ar"];

    private static readonly Lazy<Translations> Embedded = new(Load);

    private readonly Dictionary<string, Dictionary<string, string>> texts;

    private Translations(Dictionary<string, Dictionary<string, string>> texts) => this.texts = texts;

    public static Translations Default => Embedded.Value;

    /// <summary>A string element holding <paramref name="english"/>, with a translation extension for each language that has one.</summary>
    public FhirString Text(string english) => Translated(new FhirString(english), english, content => new FhirString(content));

    /// <summary>The same for markdown, whose translations are markdown too.</summary>
    public Markdown Markdown(string english) => Translated(new Markdown(english), english, content => new Markdown(content));

    private T Translated<T>(T element, string english, Func<string, DataType> content)
        where T : PrimitiveType
    {
        if (!texts.TryGetValue(english, out var translated))
        {
            return element;
        }

        foreach (var tag in Languages)
        {
            if (translated.TryGetValue(tag, out var text) && !string.IsNullOrWhiteSpace(text))
            {
                element.Extension.Add(new Extension
                {
                    Url = ExtensionUrl,
                    Extension =
                    [
                        new Extension("lang", new Code(tag)),
                        new Extension("content", content(text)),
                    ],
                });
            }
        }

        return element;
    }

    /// <summary>The text in <paramref name="language"/>, read from the element's translation extensions; the base text otherwise.</summary>
    public static string? In(PrimitiveType? element, string? language)
    {
        if (element is null)
        {
            return null;
        }

        if (language is not null && language != BaseLanguage)
        {
            foreach (var translation in element.Extension.Where(e => e.Url == ExtensionUrl))
            {
                if ((translation.GetExtensionValue<Code>("lang")?.Value) == language
                    && translation.GetExtensionValue<FhirString>("content")?.Value is { } content)
                {
                    return content;
                }
            }
        }

        return element.JsonValue as string;
    }

    private static Translations Load()
    {
        using var stream = typeof(Translations).Assembly.GetManifestResourceStream("Wmtty.Fhir.Questionnaires.translations.json")
            ?? throw new InvalidOperationException("The embedded translations.json is missing.");
        using var document = JsonDocument.Parse(stream);
        var texts = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var entry in document.RootElement.GetProperty("texts").EnumerateObject())
        {
            texts[entry.Name] = entry.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        }

        return new Translations(texts);
    }
}
