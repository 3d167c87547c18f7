using Hl7.Fhir.Model;

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
    /// The language of the population criteria: FHIR's ExpressionLanguage names CQL and FHIRPath, and these figures are
    /// neither; the service counts them in SQL over the facts it keeps of each preference set. The binding is extensible.
    /// </summary>
    public const string CriteriaLanguage = "text/x-wmtty-figure";

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
                Population = [.. Populations(figure)],
                Stratifier = [.. OutcomeFigures.Breakdowns(figure).Select(b => new Measure.StratifierComponent
                {
                    Code = new CodeableConcept { Text = b },
                    Description = BreakdownDescription(b),
                })],
            },
        ],
    };

    private static IEnumerable<Measure.PopulationComponent> Populations(OutcomeFigure figure)
    {
        if (figure.Scoring == FigureScoring.Cohort)
        {
            yield return Population("initial-population", "Patients with recorded preferences", "recorded");
            yield break;
        }

        yield return Population("denominator", "Patients with recorded preferences", "recorded");
        yield return Population("numerator", figure.NumeratorText, figure.Id);
    }

    private static Measure.PopulationComponent Population(string code, string description, string criteria) => new()
    {
        Code = new CodeableConcept(PopulationSystem, code),
        Description = description,
        Criteria = new Expression { Language = CriteriaLanguage, Expression_ = criteria, Description = description },
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
