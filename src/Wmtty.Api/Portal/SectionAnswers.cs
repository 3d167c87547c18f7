using Hl7.Fhir.Model;
using System.Globalization;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Serialization;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Api.Portal;

/// <summary>
/// Reads one posted page into a draft response: its answers replace the page's earlier ones, answers to
/// questions now switched off are dropped (the server's own enableWhen, so no script is needed), and
/// each question gets at most one plain error, in the patient's language.
/// </summary>
internal sealed class SectionAnswers(QuestionnaireSections sections, PortalLayout layout)
{
    private readonly Dictionary<string, string> errors = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Errors => errors;

    /// <param name="requireAnswers">False when the patient is stopping for now: required questions can wait, badly formed answers cannot.</param>
    public void Apply(QuestionnaireResponse response, int page, IFormCollection form, bool requireAnswers = true)
    {
        var top = sections.Pages[page];
        var item = Read(top, form);
        response.Item.RemoveAll(i => i.LinkId == top.LinkId);
        if (item is not null)
        {
            var at = response.Item.Count(i => sections.PageOf(i.LinkId ?? "") is >= 0 and var p && p < page);
            response.Item.Insert(at, item);
        }

        ResponsePopulator.RemoveDisabled(sections.Questionnaire, response);
        if (requireAnswers)
        {
            CheckRequired(top, new ResponseAnswers(response));
        }
    }

    /// <summary>The required questions still unanswered on a page, for the review before sending.</summary>
    public void CheckRequired(Questionnaire.ItemComponent definition, ResponseAnswers answers)
    {
        if (!answers.IsEnabled(definition))
        {
            return;
        }

        if (definition.Type == ItemType.Group)
        {
            foreach (var child in definition.Item)
            {
                CheckRequired(child, answers);
            }
        }
        else if (definition.Required == true && definition.LinkId is { } linkId && !answers.Of(definition).Any())
        {
            errors.TryAdd(linkId, layout.T("Answer this question"));
        }
    }

    private QuestionnaireResponse.ItemComponent? Read(Questionnaire.ItemComponent definition, IFormCollection form)
    {
        switch (definition.Type)
        {
            case ItemType.Display:
                return null;
            case ItemType.Group:
                var children = definition.Item.Select(child => Read(child, form)).OfType<QuestionnaireResponse.ItemComponent>().ToList();
                return children.Count == 0 ? null : new QuestionnaireResponse.ItemComponent { LinkId = definition.LinkId, Text = definition.Text, Item = children };
        }

        if (!QuestionnaireSections.CanAsk(definition) || definition.LinkId is not { } linkId)
        {
            return null;
        }

        var answers = Answers(definition, linkId, form);
        return answers.Count == 0 ? null : new QuestionnaireResponse.ItemComponent
        {
            LinkId = linkId,
            Text = definition.Text,
            Answer = [.. answers.Select(a => new QuestionnaireResponse.AnswerComponent { Value = a })],
        };
    }

    private List<DataType> Answers(Questionnaire.ItemComponent definition, string linkId, IFormCollection form)
    {
        var given = form[linkId].Select(v => v ?? "").ToList();
        switch (definition.Type)
        {
            case ItemType.Boolean or ItemType.Choice or ItemType.OpenChoice:
                var chosen = given.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Select(v => ChoiceValues.Answer(definition, v)).ToList();
                if (chosen.Any(c => c is null))
                {
                    return Error(linkId, layout.T("Answer this question"));
                }

                var answers = chosen.OfType<DataType>().ToList();
                if (definition.Type == ItemType.OpenChoice && Clean(form[linkId + ChoiceValues.OtherSuffix].ToString(), singleLine: true) is { Length: > 0 } other)
                {
                    answers.Add(new FhirString(other));
                }

                if (answers.Count > 1 && definition.Repeats != true)
                {
                    return Error(linkId, layout.T("Choose only one answer"));
                }

                var exclusive = definition.AnswerOption.FirstOrDefault(o => o.Value is not null
                    && o.GetExtensionValue<FhirBoolean>(Wmtty.Fhir.Questionnaires.WhatMattersQuestionnaire.OptionExclusiveUrl)?.Value == true
                    && answers.Any(a => AnswerValues.Same(a, o.Value)));
                if (exclusive is not null && answers.Count > 1)
                {
                    return Error(linkId, layout.T("“{0}” cannot be chosen together with other answers.", ChoiceValues.Display(definition, exclusive.Value, layout.Language, layout) ?? ""));
                }

                return answers;
        }

        var text = Clean(given.FirstOrDefault() ?? "", singleLine: definition.Type != ItemType.Text);
        if (text.Length == 0)
        {
            return [];
        }

        switch (definition.Type)
        {
            case ItemType.Integer:
                return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
                    ? [new Integer(whole)] : Error(linkId, layout.T("Enter a whole number"));
            case ItemType.Decimal:
                var point = text.Contains('.', StringComparison.Ordinal) ? text : text.Replace(',', '.'); // "1,5" as many write it
                return decimal.TryParse(point, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                    ? [new FhirDecimal(number)] : Error(linkId, layout.T("Enter a number"));
            case ItemType.Date:
                return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year >= 1800
                    ? [new Date(date.Year, date.Month, date.Day)] : Error(linkId, layout.T("Enter a real date"));
        }

        if (definition.MaxLength is { } max && text.EnumerateRunes().Count() > max)
        {
            return Error(linkId, layout.T("This answer is too long. Write no more than {0} characters.", max.ToString(CultureInfo.InvariantCulture)));
        }

        return [new FhirString(text)];
    }

    private List<DataType> Error(string linkId, string message)
    {
        errors.TryAdd(linkId, message);
        return [];
    }

    // What the patient typed, kept as written: only surrounding space is trimmed, line ends made plain, and
    // characters FHIR forbids (control characters, broken surrogates) made visible as U+FFFD.
    private static string Clean(string text, bool singleLine)
    {
        var cleaned = FhirText.ReplaceForbidden(text.ReplaceLineEndings("\n")).Trim();
        return singleLine ? cleaned.Replace('\n', ' ') : cleaned;
    }
}
