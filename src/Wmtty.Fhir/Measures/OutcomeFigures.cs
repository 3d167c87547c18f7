namespace Wmtty.Fhir.Measures;

/// <summary>How a figure is scored: a count of patients, or a share of those with recorded preferences.</summary>
public enum FigureScoring
{
    /// <summary>A count (Measure scoring <c>cohort</c>).</summary>
    Cohort,

    /// <summary>A numerator over the patients with recorded preferences (Measure scoring <c>proportion</c>).</summary>
    Proportion,
}

/// <summary>What a figure counts, which tells the calculator where its numbers come from.</summary>
public enum FigureSource
{
    /// <summary>Patients with a recorded preference set.</summary>
    Recorded,

    /// <summary>Of those, the ones whose set was recorded in the last 12 months.</summary>
    UpdatedWithin12Months,

    /// <summary>Of those, the ones a community connector helped; broken down by who helped.</summary>
    ConnectorHelped,

    /// <summary>Of those, the ones with a need of one kind (<see cref="OutcomeFigure.Need"/>); broken down by answer.</summary>
    Need,
}

/// <summary>One outcome figure: a Measure of its own, a MeasureReport group, a chart and rows of the CSV.</summary>
/// <param name="Id">The Measure's logical id, also its last URL segment.</param>
/// <param name="Need">For a need: the kind, as <see cref="MeasureFacts"/> records it (the question's linkId).</param>
/// <param name="Category">The name of the figure's own breakdown (by answer, by recency, by who helped); null when it has none.</param>
public sealed record OutcomeFigure(
    string Id, string Title, string Description, FigureScoring Scoring, FigureSource Source, string? Need, string? Category, string NumeratorText);

/// <summary>
/// The outcome figures (issue 9): coverage (recorded preferences and how recently, updated within 12 months, helped by a
/// community connector) and needs (interpreter by language, written format, reasonable adjustments, clinician gender,
/// diet, faith). Each is counted month by month and broken down by questionnaire language, GP practice and postcode
/// district.
/// </summary>
public static class OutcomeFigures
{
    /// <summary>The version of every figure's definition: bump it when what a figure counts changes.</summary>
    public const string Version = "1.0.0";

    // Breakdowns every figure has.
    public const string Month = "month";
    public const string Language = "questionnaire-language";
    public const string Practice = "gp-practice";
    public const string District = "postcode-district";

    // Figures' own breakdowns.
    public const string Recency = "recency";
    public const string CompletedBy = "completed-by";
    public const string Answer = "answer";

    /// <summary>The stratum of a breakdown whose value was not recorded, so that every breakdown adds up to its total.</summary>
    public const string NotRecorded = "not-recorded";

    /// <summary>Recency bands of <see cref="Recency"/>, newest first.</summary>
    public static IReadOnlyList<string> RecencyBands { get; } = ["within-3-months", "3-to-12-months", "over-12-months"];

    public static IReadOnlyList<OutcomeFigure> All { get; } =
    [
        new("wmtty-recorded", "Patients with recorded preferences",
            "Patients whose What Matters To You preferences are recorded (a completed response gives them a current preference set), " +
            "at the end of each month, and how recently they were recorded: within 3 months, 3 to 12 months, or over 12 months before.",
            FigureScoring.Cohort, FigureSource.Recorded, null, Recency, "Patients with recorded preferences"),
        new("wmtty-updated-12-months", "Preferences updated within 12 months",
            "Of the patients with recorded preferences, the share whose current preferences were recorded in the 12 months before the end of the month.",
            FigureScoring.Proportion, FigureSource.UpdatedWithin12Months, null, null, "Updated within 12 months"),
        new("wmtty-connector-help", "Helped by a community connector",
            "Of the patients with recorded preferences, the share whose current answers were given with a community connector's help; " +
            "broken down by who helped: a community connector, no one (the patient alone), family or a carer, NHS staff, or not recorded.",
            FigureScoring.Proportion, FigureSource.ConnectorHelped, null, CompletedBy, "Helped by a community connector"),
        new("wmtty-interpreter-need", "Interpreter needed, by language",
            "Of the patients with recorded preferences, the share who need an interpreter, broken down by the language the interpreter should speak.",
            FigureScoring.Proportion, FigureSource.Need, "interpreter-language", Answer, "Need an interpreter"),
        new("wmtty-written-format", "Preferred written format",
            "Of the patients with recorded preferences, the share who need letters and information in another format (large print, Easy Read, braille, audio); " +
            "broken down by every answer given, \"None\" included.",
            FigureScoring.Proportion, FigureSource.Need, "written-format", Answer, "Need another written format"),
        new("wmtty-reasonable-adjustments", "Reasonable adjustments",
            "Of the patients with recorded preferences, the share who need a reasonable adjustment, broken down by the NHS Reasonable Adjustment Flag's categories.",
            FigureScoring.Proportion, FigureSource.Need, "reasonable-adjustments", Answer, "Need a reasonable adjustment"),
        new("wmtty-clinician-gender", "Preferred gender of clinician",
            "Of the patients with recorded preferences, the share who prefer a woman or a man for examinations; broken down by every answer given.",
            FigureScoring.Proportion, FigureSource.Need, "clinician-gender", Answer, "Prefer a woman or a man"),
        new("wmtty-diet", "Diet",
            "Of the patients with recorded preferences, the share who follow a special diet, broken down by diet.",
            FigureScoring.Proportion, FigureSource.Need, "diet", Answer, "Follow a special diet"),
        new("wmtty-faith-needs", "Faith or cultural needs in care",
            "Of the patients with recorded preferences, the share whose faith or culture affects their care, broken down by need.",
            FigureScoring.Proportion, FigureSource.Need, "faith-care-needs", Answer, "Have faith or cultural needs"),
    ];

    public static OutcomeFigure? Find(string id) => All.FirstOrDefault(f => f.Id == id);

    /// <summary>The breakdowns of a figure, in the order they are reported (month first).</summary>
    public static IReadOnlyList<string> Breakdowns(OutcomeFigure figure) =>
        [Month, .. figure.Category is { } category ? new[] { category } : [], Language, Practice, District];
}
