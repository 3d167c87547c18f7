using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Api.Portal;

/// <summary>
/// The questionnaire as the portal walks it: each top-level item is one page (a section, when it is a
/// group), and every item can be found by linkId. Built from the stored resource, so a new version of
/// the questionnaire needs no code.
/// </summary>
internal sealed class QuestionnaireSections
{
    private readonly Dictionary<string, Questionnaire.ItemComponent> byLinkId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> pageOf = new(StringComparer.Ordinal);

    public QuestionnaireSections(Questionnaire questionnaire)
    {
        Questionnaire = questionnaire;
        Pages = [.. questionnaire.Item];
        for (var page = 0; page < Pages.Count; page++)
        {
            Index(Pages[page], page);
        }

        // The base language, then every language a text is translated into, in the order first met.
        Languages = [.. new[] { questionnaire.Language ?? Translations.BaseLanguage }
            .Concat(questionnaire.TitleElement?.Extension.Where(e => e.Url == Translations.ExtensionUrl)
                .Select(e => e.GetExtensionValue<Code>("lang")?.Value).OfType<string>() ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public Questionnaire Questionnaire { get; }

    public string Canonical => $"{Questionnaire.Url}|{Questionnaire.Version}";

    public IReadOnlyList<Questionnaire.ItemComponent> Pages { get; }

    public IReadOnlyList<string> Languages { get; }

    public Questionnaire.ItemComponent? Find(string linkId) => byLinkId.GetValueOrDefault(linkId);

    public int PageOf(string linkId) => pageOf.GetValueOrDefault(linkId, -1);

    public string Text(Questionnaire.ItemComponent item, string language) => Translations.In(item.TextElement, language) ?? item.LinkId ?? "";

    public string Title(string language) => Translations.In(Questionnaire.TitleElement, language) ?? "";

    /// <summary>The item types the portal can ask; others are shown as a note, never silently dropped.</summary>
    public static bool CanAsk(Questionnaire.ItemComponent item) => item.Type is ItemType.Boolean or ItemType.Choice or ItemType.OpenChoice
        or ItemType.String or ItemType.Text or ItemType.Integer or ItemType.Decimal or ItemType.Date
        && (item.Type is not (ItemType.Choice or ItemType.OpenChoice) || item.AnswerOption.Count > 0 || item.Type == ItemType.OpenChoice);

    private void Index(Questionnaire.ItemComponent item, int page)
    {
        if (item.LinkId is { } linkId)
        {
            byLinkId[linkId] = item;
            pageOf[linkId] = page;
        }

        foreach (var child in item.Item)
        {
            Index(child, page);
        }
    }
}
