using System.Globalization;
using System.Text;
using System.Text.Json;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;
using static Wmtty.Api.Portal.PortalLayout;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;
using Operator = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemOperator;

namespace Wmtty.Api.Portal;

/// <summary>
/// The HTML fields of one page, built item by item from the Questionnaire: radios for one choice or
/// yes/no, checkboxes for several, text boxes and areas, numbers and dates, each with its label, hint
/// and error. A question whose enableWhen depends on this page carries its conditions for the script,
/// and a hint saying when to answer it, so it works without script too; one switched off by answers on
/// other pages is not shown.
/// </summary>
internal sealed class SectionForm(QuestionnaireSections sections, PortalLayout layout, ResponseAnswers answers, IReadOnlyDictionary<string, string> errors, IFormCollection? posted = null)
{
    private readonly string language = layout.Language;
    private readonly StringBuilder html = new(16 * 1024);

    public string Render(int page)
    {
        var top = sections.Pages[page];
        if (top.Type == ItemType.Group)
        {
            foreach (var child in top.Item)
            {
                Item(child, page);
            }
        }
        else
        {
            Item(top, page);
        }

        return html.ToString();
    }

    /// <summary>The id of the field an error links to: the first radio or checkbox, or the box itself.</summary>
    public static string FieldId(Questionnaire.ItemComponent item) =>
        item.Type is ItemType.Boolean or ItemType.Choice or ItemType.OpenChoice ? $"{Id(item)}-0" : Id(item);

    public static string Id(Questionnaire.ItemComponent item)
    {
        var builder = new StringBuilder("q-");
        foreach (var c in item.LinkId ?? "")
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return builder.ToString();
    }

    private void Item(Questionnaire.ItemComponent item, int page)
    {
        var conditions = Conditions(item, page);
        if (conditions is null)
        {
            return; // switched off by answers given on another page
        }

        switch (item.Type)
        {
            case ItemType.Display:
                html.Append("<p class=\"display-text\"").Append(EnableAttributes(item, conditions)).Append('>').Append(Encode(sections.Text(item, language))).Append("</p>\n");
                return;
            case ItemType.Group:
                html.Append("<fieldset class=\"question group\" id=\"").Append(Id(item)).Append('"').Append(EnableAttributes(item, conditions)).Append(">\n<legend>")
                    .Append(Encode(sections.Text(item, language))).Append("</legend>\n");
                foreach (var child in item.Item)
                {
                    Item(child, page);
                }

                html.Append("</fieldset>\n");
                return;
        }

        if (!QuestionnaireSections.CanAsk(item))
        {
            html.Append("<div class=\"question\" id=\"").Append(Id(item)).Append("\"><p class=\"label\">").Append(Encode(sections.Text(item, language))).Append("</p><p class=\"hint\">")
                .Append(Encode(layout.T("This question cannot be answered here. Your care team can record it with you."))).Append("</p></div>\n");
            return;
        }

        var id = Id(item);
        var error = item.LinkId is not null ? errors.GetValueOrDefault(item.LinkId) : null;
        var describedBy = new List<string>();
        var hints = new StringBuilder();
        if (item.Type == ItemType.Choice && item.Repeats == true)
        {
            hints.Append("<span class=\"hint\" id=\"").Append(id).Append("-hint\">").Append(Encode(layout.T("Choose all that apply."))).Append("</span>\n");
            describedBy.Add(id + "-hint");
        }

        if (conditions.Count > 0 && ConditionHint(item) is { } condition)
        {
            hints.Append("<span class=\"hint condition-hint\" id=\"").Append(id).Append("-condition\">").Append(Encode(condition)).Append("</span>\n");
            describedBy.Add(id + "-condition");
        }

        if (error is not null)
        {
            hints.Append("<p class=\"error-message\" id=\"").Append(id).Append("-error\"><span class=\"visually-hidden\">").Append(Encode(layout.T("Error:")))
                .Append(" </span>").Append(Encode(error)).Append("</p>\n");
            describedBy.Add(id + "-error");
        }

        var label = Encode(sections.Text(item, language)) + (item.Required == true ? "" : $" <span class=\"optional\">{Encode(layout.T("(optional)"))}</span>");
        var describes = describedBy.Count > 0 ? $" aria-describedby=\"{string.Join(' ', describedBy)}\"" : "";
        var css = error is null ? "question" : "question error";
        if (item.Type is ItemType.Boolean or ItemType.Choice or ItemType.OpenChoice)
        {
            html.Append("<fieldset class=\"").Append(css).Append("\" id=\"").Append(id).Append("-set\"").Append(describes).Append(EnableAttributes(item, conditions)).Append(">\n<legend>")
                .Append(label).Append("</legend>\n").Append(hints);
            Choices(item, id);
            html.Append("</fieldset>\n");
            return;
        }

        html.Append("<div class=\"").Append(css).Append("\" id=\"").Append(id).Append("-set\"").Append(EnableAttributes(item, conditions)).Append(">\n<label for=\"").Append(id).Append("\">")
            .Append(label).Append("</label>\n").Append(hints);
        var value = Attr(posted is not null ? posted[item.LinkId ?? ""].FirstOrDefault() ?? "" : answers.Text(item));
        var common = $" id=\"{id}\" name=\"{Attr(item.LinkId)}\" data-link-id=\"{Attr(item.LinkId)}\"{describes}{(error is null ? "" : " aria-invalid=\"true\"")}";
        switch (item.Type)
        {
            case ItemType.Text:
                html.Append("<textarea").Append(common).Append(" rows=\"5\" spellcheck=\"true\">").Append(value).Append("</textarea>\n");
                break;
            case ItemType.Integer:
                html.Append("<input type=\"text\" inputmode=\"numeric\"").Append(common).Append(" value=\"").Append(value).Append("\">\n");
                break;
            case ItemType.Decimal:
                html.Append("<input type=\"text\" inputmode=\"decimal\"").Append(common).Append(" value=\"").Append(value).Append("\">\n");
                break;
            case ItemType.Date:
                html.Append("<input type=\"date\"").Append(common).Append(" value=\"").Append(value).Append("\">\n");
                break;
            default:
                html.Append("<input type=\"text\"").Append(common).Append(" value=\"").Append(value).Append("\"")
                    .Append(item.LinkId?.Contains("language", StringComparison.Ordinal) == true ? " autocomplete=\"language\"" : "").Append(">\n");
                break;
        }

        html.Append("</div>\n");
    }

    private void Choices(Questionnaire.ItemComponent item, string id)
    {
        var multiple = item.Type is ItemType.Choice or ItemType.OpenChoice && item.Repeats == true;
        var type = multiple ? "checkbox" : "radio";
        var options = ChoiceValues.Options(item, language, layout);
        for (var i = 0; i < options.Count; i++)
        {
            var (value, text, exclusive) = options[i];
            html.Append("<div class=\"choice\"><input type=\"").Append(type).Append("\" id=\"").Append(id).Append('-').Append(i.ToString(CultureInfo.InvariantCulture))
                .Append("\" name=\"").Append(Attr(item.LinkId)).Append("\" value=\"").Append(Attr(value)).Append("\" data-link-id=\"").Append(Attr(item.LinkId)).Append('"')
                .Append(IsChosen(item, value) ? " checked" : "").Append(exclusive ? " data-exclusive" : "").Append("><label for=\"")
                .Append(id).Append('-').Append(i.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(Encode(text)).Append("</label></div>\n");
        }

        if (item.Type == ItemType.OpenChoice)
        {
            var other = $"{id}-other";
            html.Append("<label for=\"").Append(other).Append("\" class=\"hint\">").Append(Encode(layout.T("Other"))).Append("</label>\n<input type=\"text\" id=\"").Append(other)
                .Append("\" name=\"").Append(Attr(item.LinkId + ChoiceValues.OtherSuffix)).Append("\" value=\"").Append(Attr(posted is not null ? posted[item.LinkId + ChoiceValues.OtherSuffix].ToString() : answers.OtherText(item))).Append("\">\n");
        }
    }

    // What was just sent, when the page comes back with errors; otherwise the draft's answers.
    private bool IsChosen(Questionnaire.ItemComponent item, string value) =>
        posted is not null ? posted[item.LinkId ?? ""].Contains(value) : answers.IsChosen(item, value);

    /// <summary>
    /// The item's conditions that this page's answers decide (empty when none), or null when answers on
    /// other pages already switch it off.
    /// </summary>
    private List<Questionnaire.EnableWhenComponent>? Conditions(Questionnaire.ItemComponent item, int page)
    {
        if (item.EnableWhen.Count == 0)
        {
            return [];
        }

        var onPage = item.EnableWhen.Where(c => sections.PageOf(c.Question ?? "") == page).ToList();
        if (onPage.Count == 0)
        {
            return answers.IsEnabled(item) ? [] : null;
        }

        // Some conditions here, some elsewhere: the page decides when the others already allow it ("all") or do not ("any").
        var elsewhere = item.EnableWhen.Except(onPage).ToList();
        if (elsewhere.Count > 0)
        {
            var elsewhereHold = elsewhere.Select(answers.Holds).ToList();
            var any = item.EnableBehavior == Questionnaire.EnableWhenBehavior.Any;
            if (!any && elsewhereHold.Any(h => !h))
            {
                return null;
            }

            if (any && elsewhereHold.Any(h => h))
            {
                return [];
            }
        }

        return onPage;
    }

    private string EnableAttributes(Questionnaire.ItemComponent item, List<Questionnaire.EnableWhenComponent> conditions)
    {
        if (conditions.Count == 0)
        {
            return "";
        }

        var forScript = conditions.Select(c => new Dictionary<string, object?>
        {
            ["question"] = c.Question,
            ["operator"] = c.Operator switch
            {
                Operator.Exists => "exists",
                Operator.Equal => "=",
                Operator.NotEqual => "!=",
                _ => "other",
            },
            ["answer"] = c.Operator == Operator.Exists ? (c.Answer as FhirBoolean)?.Value == true : ChoiceValues.FormValue(sections.Find(c.Question ?? ""), c.Answer),
        });
        var behaviour = item.EnableBehavior == Questionnaire.EnableWhenBehavior.Any ? " data-enable-behavior=\"any\"" : "";
        return $" data-enable-when=\"{Attr(JsonSerializer.Serialize(forScript))}\"{behaviour}";
    }

    // "Answer this only if you answered “Yes” to “Do you need an interpreter?”", for the simple, common case.
    private string? ConditionHint(Questionnaire.ItemComponent item)
    {
        if (item.EnableWhen is not [{ Operator: Operator.Equal } condition] || sections.Find(condition.Question ?? "") is not { } asked)
        {
            return null;
        }

        var answer = ChoiceValues.Display(asked, condition.Answer, language, layout);
        return answer is null ? null : layout.T("Answer this only if you answered “{0}” to “{1}”.", answer, sections.Text(asked, language));
    }
}
