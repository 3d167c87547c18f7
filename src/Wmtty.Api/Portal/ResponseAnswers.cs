using System.Globalization;
using Wmtty.Fhir.Responses;

namespace Wmtty.Api.Portal;

/// <summary>The answers a draft response holds, by linkId, and which questions they switch on.</summary>
internal sealed class ResponseAnswers
{
    private readonly ILookup<string, DataType> byLinkId;
    private readonly EnableWhen enableWhen;

    public ResponseAnswers(QuestionnaireResponse response)
    {
        byLinkId = Flatten(response.Item).ToLookup(a => a.LinkId, a => a.Value, StringComparer.Ordinal);
        enableWhen = new EnableWhen(response);
    }

    public IEnumerable<DataType> Of(Questionnaire.ItemComponent item) => byLinkId[item.LinkId ?? ""];

    public bool IsEnabled(Questionnaire.ItemComponent item) => enableWhen.IsEnabled(item);

    public bool Holds(Questionnaire.EnableWhenComponent condition) => enableWhen.Holds(condition);

    public bool IsChosen(Questionnaire.ItemComponent item, string formValue) => Of(item).Any(a => ChoiceValues.FormValue(item, a) == formValue);

    /// <summary>What a text box shows: the answer as written, a number in plain digits, a date as yyyy-mm-dd.</summary>
    public string Text(Questionnaire.ItemComponent item) => Of(item).FirstOrDefault() switch
    {
        FhirString text => text.Value ?? "",
        Integer number => number.Value?.ToString(CultureInfo.InvariantCulture) ?? "",
        FhirDecimal number => number.Value?.ToString(CultureInfo.InvariantCulture) ?? "",
        Date date => date.Value ?? "",
        _ => "",
    };

    public string OtherText(Questionnaire.ItemComponent item) => Of(item).OfType<FhirString>().FirstOrDefault()?.Value ?? "";

    private static IEnumerable<(string LinkId, DataType Value)> Flatten(IEnumerable<QuestionnaireResponse.ItemComponent> items)
    {
        foreach (var item in items)
        {
            foreach (var answer in item.Answer)
            {
                if (item.LinkId is not null && answer.Value is not null)
                {
                    yield return (item.LinkId, answer.Value);
                }
            }

            foreach (var nested in Flatten(item.Item))
            {
                yield return nested;
            }
        }
    }
}
