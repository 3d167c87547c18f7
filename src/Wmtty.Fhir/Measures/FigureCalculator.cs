namespace Wmtty.Fhir.Measures;

/// <summary>Patients whose current preference set, at a month's end, has these facts.</summary>
/// <param name="Recency">0: recorded within 3 months before the month's end; 1: 3 to 12 months; 2: over 12 months.</param>
public sealed record SetCount(int Recency, string? Language, string? CompletedBy, string? Practice, string? District, long Patients);

/// <summary>Patients whose current set, at a month's end, answered a needs question so; <paramref name="Value"/> null counts those with any real need of that kind.</summary>
public sealed record NeedCount(string Need, string? Value, string? Language, string? Practice, string? District, long Patients);

/// <summary>The counts of one month, as at its end (or the period's end, if that comes first).</summary>
/// <param name="Month">The month, <c>yyyy-MM</c>.</param>
public sealed record MonthCounts(string Month, IReadOnlyList<SetCount> Sets, IReadOnlyList<NeedCount> Needs);

/// <summary>One published cell: a month's total (<paramref name="Breakdown"/> empty) or one stratum of a breakdown. Null counts are suppressed.</summary>
/// <param name="HasDenominator">False for a count (cohort) figure, whose cells have only a numerator.</param>
public sealed record PublishedCell(string Month, string Breakdown, string Stratum, int? Numerator, int? Denominator, bool HasDenominator)
{
    public decimal? Share => HasDenominator ? SmallNumbers.Share(Numerator, Denominator) : null;

    public bool IsTotal => Breakdown.Length == 0;
}

/// <summary>A figure's published cells, month by month.</summary>
public sealed record FigureResult(OutcomeFigure Figure, IReadOnlyList<string> Months, IReadOnlyList<PublishedCell> Cells)
{
    public PublishedCell Total(string month) => Cells.First(c => c.Month == month && c.IsTotal);

    /// <summary>The strata of a breakdown in one month, in their order.</summary>
    public IEnumerable<PublishedCell> Strata(string month, string breakdown) => Cells.Where(c => c.Month == month && c.Breakdown == breakdown);
}

/// <summary>
/// Turns a month's counts into each figure's cells, and suppresses them (<see cref="SmallNumbers"/>): every breakdown is
/// suppressed against its month's total, numerators and denominators each. Breakdowns by language and area add up to the
/// total, since a set whose value was not recorded counts as <see cref="OutcomeFigures.NotRecorded"/>.
/// </summary>
public static partial class FigureCalculator
{
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex AnswerCode();

    /// <param name="answers">For each need, its answer codes in questionnaire order: each is a stratum, even at 0.</param>
    public static FigureResult Calculate(OutcomeFigure figure, IReadOnlyList<MonthCounts> months, IReadOnlyDictionary<string, IReadOnlyList<string>> answers)
    {
        var cells = new List<PublishedCell>();
        foreach (var month in months)
        {
            foreach (var (breakdown, raw) in RawCells(figure, month, answers))
            {
                cells.AddRange(Publish(figure, month.Month, breakdown, raw));
            }
        }

        return new FigureResult(figure, [.. months.Select(m => m.Month)], cells);
    }

    // IsNeed: false for an answer that says there is no need ("None", "No preference"), which is no part of the numerator.
    private sealed record Raw(string Stratum, long Numerator, long Denominator, bool IsNeed = true);

    private static IEnumerable<PublishedCell> Publish(OutcomeFigure figure, string month, string breakdown, IReadOnlyList<Raw> raw)
    {
        var total = raw[0];
        var strata = raw.Skip(1).ToList();
        var hasDenominator = figure.Scoring == FigureScoring.Proportion;
        var all = Enumerable.Range(0, strata.Count).ToList();
        List<IReadOnlyList<int>> groups = [all];
        if (breakdown == OutcomeFigures.Answer)
        {
            groups.Add([.. all.Where(i => strata[i].IsNeed)]); // the need answers make up the figure's numerator
        }
        else if (breakdown == OutcomeFigures.Recency)
        {
            groups.Add([0, 1]); // within 3 months and 3 to 12 months make up wmtty-updated-12-months' numerator
        }

        // A share hides its numerator where the patients it leaves out are few (SmallNumbers.SmallComplement): recorded less
        // updated within 12 months would otherwise give the few not updated.
        var (numeratorTotal, numerators) = SmallNumbers.Breakdown(total.Numerator, [.. strata.Select(s => s.Numerator)],
            hasDenominator && SmallNumbers.SmallComplement(total.Numerator, total.Denominator),
            [.. strata.Select(s => hasDenominator && SmallNumbers.SmallComplement(s.Numerator, s.Denominator))], groups);
        var (denominatorTotal, denominators) = SmallNumbers.Breakdown(total.Denominator, [.. strata.Select(s => s.Denominator)]);
        if (breakdown.Length == 0)
        {
            yield return new PublishedCell(month, "", "", numeratorTotal, hasDenominator ? denominatorTotal : null, hasDenominator);
            yield break;
        }

        for (var i = 0; i < strata.Count; i++)
        {
            yield return new PublishedCell(month, breakdown, strata[i].Stratum, numerators[i], hasDenominator ? denominators[i] : null, hasDenominator);
        }
    }

    // Each breakdown of the month: its total first (the month's), then its strata.
    private static IEnumerable<(string Breakdown, IReadOnlyList<Raw> Cells)> RawCells(OutcomeFigure figure, MonthCounts month, IReadOnlyDictionary<string, IReadOnlyList<string>> answers)
    {
        var recorded = month.Sets.Sum(s => s.Patients);
        Func<SetCount, bool> inNumerator = figure.Source switch
        {
            FigureSource.UpdatedWithin12Months => s => s.Recency <= 1,
            FigureSource.ConnectorHelped => s => s.CompletedBy == "connector",
            _ => _ => true,
        };
        var anyNeed = month.Needs.Where(n => n.Need == figure.Need && n.Value is null).ToList();
        var numerator = figure.Source == FigureSource.Need ? anyNeed.Sum(n => n.Patients) : month.Sets.Where(inNumerator).Sum(s => s.Patients);
        var total = new Raw("", numerator, recorded);
        yield return ("", [total]);

        if (figure.Category == OutcomeFigures.Recency)
        {
            yield return (figure.Category, [total, .. OutcomeFigures.RecencyBands.Select((band, i) => new Raw(band, month.Sets.Where(s => s.Recency == i).Sum(s => s.Patients), recorded))]);
        }
        else if (figure.Category == OutcomeFigures.CompletedBy)
        {
            string[] helpers = ["connector", "patient", "family", "clinician", OutcomeFigures.NotRecorded];
            yield return (figure.Category, [total, .. helpers.Select(h => new Raw(h, month.Sets.Where(s => (s.CompletedBy ?? OutcomeFigures.NotRecorded) == h).Sum(s => s.Patients), recorded))]);
        }
        else if (figure.Category == OutcomeFigures.Answer && figure.Need is { } need)
        {
            var given = month.Needs.Where(n => n.Need == need && n.Value is not null).GroupBy(n => n.Value!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(n => n.Patients), StringComparer.Ordinal);
            var order = answers.GetValueOrDefault(need) ?? [];
            // Answers outside the questionnaire's (an Observation edited since) are named only if they look like a code:
            // a stratum's name is published even when its count is hidden, so free text must never become one.
            var values = order.Concat(given.Keys.Where(k => !order.Contains(k) && AnswerCode().IsMatch(k)).Order(StringComparer.Ordinal));
            yield return (figure.Category, [total, .. values.Select(v => new Raw(v, given.GetValueOrDefault(v), recorded, MeasureFacts.IsNeedAnswer(v)))]);
        }

        foreach (var (breakdown, of, ofNeed) in Areas)
        {
            var denominators = month.Sets.GroupBy(s => of(s) ?? OutcomeFigures.NotRecorded, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(s => s.Patients), StringComparer.Ordinal);
            var numerators = figure.Source == FigureSource.Need
                ? anyNeed.GroupBy(n => ofNeed(n) ?? OutcomeFigures.NotRecorded, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(n => n.Patients), StringComparer.Ordinal)
                : month.Sets.Where(inNumerator).GroupBy(s => of(s) ?? OutcomeFigures.NotRecorded, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(s => s.Patients), StringComparer.Ordinal);
            // Not recorded last; the rest in code order.
            var strata = denominators.Keys.OrderBy(k => k == OutcomeFigures.NotRecorded).ThenBy(k => k, StringComparer.Ordinal);
            yield return (breakdown, [total, .. strata.Select(k => new Raw(k, numerators.GetValueOrDefault(k), denominators[k]))]);
        }
    }

    private static readonly (string Breakdown, Func<SetCount, string?> Of, Func<NeedCount, string?> OfNeed)[] Areas =
    [
        (OutcomeFigures.Language, s => s.Language, n => n.Language),
        (OutcomeFigures.Practice, s => s.Practice, n => n.Practice),
        (OutcomeFigures.District, s => s.District, n => n.District),
    ];
}
