using Hl7.Fhir.Model;
using System.Globalization;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Api.Portal;

/// <summary>
/// How answers travel through a form: a yes/no is "true" or "false", a choice is the index of its
/// answerOption in the questionnaire version the page was built from, anything else is its text.
/// </summary>
internal static class ChoiceValues
{
    public const string OtherSuffix = ".other";

    /// <summary>The options of a yes/no or choice question: form value, text in the language, whether it rules out the others.</summary>
    public static IReadOnlyList<(string Value, string Text, bool Exclusive)> Options(Questionnaire.ItemComponent item, string language, PortalLayout layout)
    {
        if (item.Type == ItemType.Boolean)
        {
            return [("true", layout.T("Yes"), false), ("false", layout.T("No"), false)];
        }

        return [.. item.AnswerOption.Select((option, i) => (
            i.ToString(CultureInfo.InvariantCulture),
            OptionText(option.Value, language),
            option.GetExtensionValue<FhirBoolean>(WhatMattersQuestionnaire.OptionExclusiveUrl)?.Value == true))];
    }

    /// <summary>The form value that stands for <paramref name="answer"/> under <paramref name="item"/>; null when none does.</summary>
    public static string? FormValue(Questionnaire.ItemComponent? item, DataType? answer)
    {
        if (item is null || answer is null)
        {
            return null;
        }

        if (answer is FhirBoolean flag)
        {
            return flag.Value == true ? "true" : "false";
        }

        var index = item.AnswerOption.FindIndex(o => o.Value is not null && AnswerValues.Same(o.Value, answer));
        return index >= 0 ? index.ToString(CultureInfo.InvariantCulture) : (answer as PrimitiveType)?.ToString();
    }

    /// <summary>The answer a form value stands for; null when it stands for nothing the question offers.</summary>
    public static DataType? Answer(Questionnaire.ItemComponent item, string value)
    {
        if (item.Type == ItemType.Boolean)
        {
            return value switch { "true" => new FhirBoolean(true), "false" => new FhirBoolean(false), _ => null };
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index < 0 || index >= item.AnswerOption.Count)
        {
            return null;
        }

        // The answer keeps the code and its English display, not the questionnaire's translations.
        return item.AnswerOption[index].Value switch
        {
            Coding coding => new Coding(coding.System, coding.Code, coding.Display) { Version = coding.Version },
            { } other => (DataType)other.DeepCopy(),
            _ => null,
        };
    }

    /// <summary>An answer as the patient reads it: the option's text in their language, Yes or No, or what they wrote.</summary>
    public static string? Display(Questionnaire.ItemComponent item, DataType? answer, string language, PortalLayout layout)
    {
        switch (answer)
        {
            case null:
                return null;
            case FhirBoolean flag:
                return layout.T(flag.Value == true ? "Yes" : "No");
        }

        var option = item.AnswerOption.FirstOrDefault(o => o.Value is not null && AnswerValues.Same(o.Value, answer));
        return option is not null ? OptionText(option.Value, language) : answer switch
        {
            Coding coding => coding.Display ?? coding.Code,
            Date date => date.Value,
            PrimitiveType primitive => primitive.ToString(),
            _ => null,
        };
    }

    private static string OptionText(DataType? value, string language) => value switch
    {
        Coding coding => Translations.In(coding.DisplayElement, language) ?? coding.Code ?? "",
        PrimitiveType primitive => Translations.In(primitive, language) ?? "",
        _ => "",
    };
}
