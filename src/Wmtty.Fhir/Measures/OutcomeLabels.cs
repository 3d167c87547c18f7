using System.Globalization;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Fhir.Measures;

/// <summary>The English names of the strata, and their codes where a code system has them: from the questionnaire's answers and the service's lists.</summary>
public sealed class OutcomeLabels
{
    private readonly Dictionary<string, IReadOnlyList<Coding>> answers;

    private OutcomeLabels(Dictionary<string, IReadOnlyList<Coding>> answers) => this.answers = answers;

    /// <summary>Labels for the needs questions of <paramref name="questionnaire"/>, whose question codes are in <paramref name="serviceSystem"/>.</summary>
    public static OutcomeLabels From(Questionnaire questionnaire, string serviceSystem)
    {
        var needs = OutcomeFigures.All.Select(f => f.Need).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, IReadOnlyList<Coding>>(StringComparer.Ordinal);
        foreach (var item in Flatten(questionnaire.Item))
        {
            if (item.Code.FirstOrDefault(c => c.System == serviceSystem && c.Code is not null && needs.Contains(c.Code))?.Code is { } need)
            {
                found[need] = [.. item.AnswerOption.Select(o => o.Value).OfType<Coding>()];
            }
        }

        return new OutcomeLabels(found);
    }

    /// <summary>Each need's answer codes, in questionnaire order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AnswerOrder =>
        answers.ToDictionary(a => a.Key, a => (IReadOnlyList<string>)[.. a.Value.Select(c => c.Code).OfType<string>()], StringComparer.Ordinal);

    public string Display(OutcomeFigure figure, string breakdown, string stratum) => Coding(figure, breakdown, stratum)?.Display ?? (breakdown, stratum) switch
    {
        (_, OutcomeFigures.NotRecorded) => "Not recorded",
        (OutcomeFigures.Month, _) when DateTime.TryParseExact(stratum, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month) =>
            month.ToString("MMM yyyy", CultureInfo.InvariantCulture),
        (OutcomeFigures.Recency, "within-3-months") => "Within 3 months",
        (OutcomeFigures.Recency, "3-to-12-months") => "3 to 12 months",
        (OutcomeFigures.Recency, "over-12-months") => "Over 12 months",
        (OutcomeFigures.CompletedBy, "connector") => "A community connector",
        (OutcomeFigures.CompletedBy, "patient") => "No one: the patient alone",
        (OutcomeFigures.CompletedBy, "family") => "Family, a carer or a friend",
        (OutcomeFigures.CompletedBy, "clinician") => "NHS staff",
        _ => stratum,
    };

    /// <summary>The stratum as a MeasureReport gives it: its key as text (as the CSV gives it), and its code where a code system has one.</summary>
    public CodeableConcept Value(OutcomeFigure figure, string breakdown, string stratum)
    {
        var value = new CodeableConcept { Text = stratum };
        if (Coding(figure, breakdown, stratum) is { } coding)
        {
            value.Coding.Add(new Coding(coding.System, coding.Code, coding.Display));
        }

        return value;
    }

    private Coding? Coding(OutcomeFigure figure, string breakdown, string stratum) => breakdown switch
    {
        OutcomeFigures.Answer when figure.Need is { } need => answers.GetValueOrDefault(need)?.FirstOrDefault(c => c.Code == stratum),
        OutcomeFigures.Language when stratum != OutcomeFigures.NotRecorded =>
            new Coding(PreferenceCodes.Bcp47, stratum, PreferenceCodes.Languages.FirstOrDefault(l => l.Tag == stratum).Display ?? stratum),
        _ => null,
    };

    private static IEnumerable<Questionnaire.ItemComponent> Flatten(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => new[] { i }.Concat(Flatten(i.Item)));
}
