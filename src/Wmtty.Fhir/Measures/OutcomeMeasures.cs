using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Fhir.Measures;

/// <summary>
/// The Measure of each outcome figure, published like the questionnaire (one resource per version), so that
/// <c>Measure/[id]/$evaluate-measure</c> and the MeasureReports it returns name a definition anyone can read.
/// </summary>
public static class OutcomeMeasures
{
    public const string ScoringSystem = "http://terminology.hl7.org/CodeSystem/measure-scoring";
    public const string TypeSystem = "http://terminology.hl7.org/CodeSystem/measure-type";
    public const string PopulationSystem = "http://terminology.hl7.org/CodeSystem/measure-population";

    /// <summary>
    /// The language of the population criteria. FHIR R4 allows CQL, FHIRPath or a FHIR query; these figures are counted by
    /// the service in SQL, so each criterion is the FHIR search that finds the resources it is counted from, and its
    /// description says how it is counted: each patient once, with their latest preferences as at each month's end.
    /// </summary>
    public const string CriteriaLanguage = "application/x-fhir-query";

    public const string Guidance =
        "De-identified counts of patients, never of one patient. Small numbers are suppressed as in NHS statistical publications: " +
        "a count from 1 to 7 is not published (MeasureReport gives no count, with data-absent-reason 'masked'), and every other count " +
        "is rounded to the nearest 5. When that would hide only one cell of a breakdown, the smallest other non-zero cell is hidden too, " +
        "so no hidden count can be worked out by subtracting the others from the total. Shares are worked out from the rounded counts. " +
        "Counts are as at the end of each month (UTC), or of the period if it ends sooner: a patient counts once, with their latest " +
        "preferences recorded by then. Breakdowns by area use the registered GP practice (ODS code) and the postcode district " +
        "(never a full postcode), as the patient's record gave them when the preferences were recorded.";

    public static string Url(string canonicalBase, OutcomeFigure figure) => $"{canonicalBase.TrimEnd('/')}/Measure/{figure.Id}";

    /// <summary>The logical id of a figure's Measure in the store: one resource per version.</summary>
    public static string Id(OutcomeFigure figure) => $"{figure.Id}-{OutcomeFigures.Version}";

    public static IReadOnlyList<Measure> Build(string canonicalBase) => [.. OutcomeFigures.All.Select(f => Build(canonicalBase, f))];

    public static Measure Build(string canonicalBase, OutcomeFigure figure) => new()
    {
        Id = Id(figure),
        Url = Url(canonicalBase, figure),
        Version = OutcomeFigures.Version,
        Name = string.Concat(figure.Id.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])),
        Title = figure.Title,
        Status = PublicationStatus.Active,
        Experimental = false,
        Date = "2026-11-25",
        Publisher = "Wmtty",
        Description = new Markdown(figure.Description),
        Purpose = new Markdown("To show, at neighbourhood, place and system level, whether What Matters To You reduces health inequalities (the Denny review)."),
        Guidance = new Markdown(Guidance),
        Scoring = new CodeableConcept(ScoringSystem, figure.Scoring == FigureScoring.Cohort ? "cohort" : "proportion"),
        Type = [new CodeableConcept(TypeSystem, "outcome")],
        Subject = new CodeableConcept("http://hl7.org/fhir/resource-types", "Patient"),
        Group =
        [
            new Measure.GroupComponent
            {
                Code = new CodeableConcept { Text = figure.Id },
                Description = figure.Title,
                Population = [.. Populations(canonicalBase, figure)],
                Stratifier = [.. OutcomeFigures.Breakdowns(figure).Select(b => new Measure.StratifierComponent
                {
                    Code = new CodeableConcept { Text = b },
                    Description = BreakdownDescription(b),
                })],
            },
        ],
    };

    private static IEnumerable<Measure.PopulationComponent> Populations(string canonicalBase, OutcomeFigure figure)
    {
        var responses = $"QuestionnaireResponse?questionnaire={WhatMattersQuestionnaire.Url(canonicalBase)}&status=completed,amended";
        const string Recorded = "Patients with a completed What Matters To You response: each counted once, with the latest one authored by the month's end.";
        if (figure.Scoring == FigureScoring.Cohort)
        {
            yield return Population("initial-population", Recorded, responses);
            yield break;
        }

        yield return Population("initial-population", Recorded, responses); // a proportion's population: all of it is the denominator
        yield return Population("denominator", Recorded, responses);
        var (query, description) = figure.Source switch
        {
            FigureSource.UpdatedWithin12Months => (responses, "Of those, the patients whose latest response was authored in the 12 months before the month's end."),
            FigureSource.ConnectorHelped => (responses, $"Of those, the patients whose latest response names a PractitionerRole '{Responses.ResponseAuthors.ConnectorDisplay}' as its author."),
            _ => ($"Observation?code={PreferenceCodes.ServiceSystem(canonicalBase)}|{figure.Need}&status=final",
                $"Of those, the patients whose latest response answered '{figure.Need}' with a need (not 'None', 'No preference' or 'Prefer not to say')."),
        };
        yield return Population("numerator", description, query);
    }

    private static Measure.PopulationComponent Population(string code, string description, string query) => new()
    {
        Code = new CodeableConcept(PopulationSystem, code),
        Description = description,
        Criteria = new Expression { Language = CriteriaLanguage, Expression_ = query, Description = description },
    };

    public static string BreakdownDescription(string breakdown) => breakdown switch
    {
        OutcomeFigures.Month => "Month by month: the figure as at the end of each month of the period (yyyy-MM).",
        OutcomeFigures.Recency => "How recently the preferences were recorded: within 3 months, 3 to 12 months, over 12 months.",
        OutcomeFigures.CompletedBy => "Who helped the patient answer: a community connector, no one (alone), family or a carer, NHS staff, or not recorded.",
        OutcomeFigures.Answer => "Each answer to the question; a patient who gave several counts under each.",
        OutcomeFigures.Language => "The language the questionnaire was answered in (BCP-47).",
        OutcomeFigures.Practice => "The registered GP practice (ODS code), where the patient's record names one.",
        OutcomeFigures.District => "The postcode district (outward code) of the patient's address, where known; never a full postcode.",
        _ => breakdown,
    };
}
