using System.Globalization;
using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Measures;

/// <summary>The period figures are asked for, both ends inclusive, and the months it covers.</summary>
public sealed record ReportPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The most months one evaluation covers: five years.</summary>
    public const int MostMonths = 60;

    /// <summary>Each month of the period (UTC) and the moment it is counted at: its last millisecond, or the period's end if sooner.</summary>
    public IReadOnlyList<(string Month, DateTimeOffset AsOf)> Months()
    {
        var months = new List<(string, DateTimeOffset)>();
        var start = Start.ToUniversalTime();
        for (var month = new DateTimeOffset(start.Year, start.Month, 1, 0, 0, 0, TimeSpan.Zero); month <= End; month = month.AddMonths(1))
        {
            var last = month.AddMonths(1).AddMilliseconds(-1);
            months.Add((month.ToString("yyyy-MM", CultureInfo.InvariantCulture), last < End ? last : End));
        }

        return months;
    }

    public int MonthCount => ((End.ToUniversalTime().Year - Start.ToUniversalTime().Year) * 12) + End.ToUniversalTime().Month - Start.ToUniversalTime().Month + 1;
}

/// <summary>
/// The MeasureReport of one figure over a period: a population-level summary whose group holds the figure at the period's
/// end, a <c>month</c> stratifier with the figure at each month's end, and the figure's breakdowns at the period's end. A
/// suppressed count has no value, only the data-absent-reason <c>masked</c>.
/// </summary>
public static class OutcomeReports
{
    public const string DataAbsentReasonUrl = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    public static MeasureReport Build(FigureResult result, string measureCanonical, ReportPeriod period, DateTimeOffset now, OutcomeLabels labels)
    {
        var figure = result.Figure;
        var last = result.Months[^1];
        var total = result.Total(last);
        var group = new MeasureReport.GroupComponent
        {
            Code = new CodeableConcept { Text = figure.Id },
            Population = [.. Populations(total).Select(p => new MeasureReport.PopulationComponent { Code = p.Code, CountElement = p.Count })],
            MeasureScore = Score(total),
        };

        foreach (var breakdown in OutcomeFigures.Breakdowns(figure))
        {
            var strata = breakdown == OutcomeFigures.Month
                ? result.Months.Select(m => (Key: m, Cell: result.Total(m)))
                : result.Strata(last, breakdown).Select(c => (Key: c.Stratum, Cell: c));
            group.Stratifier.Add(new MeasureReport.StratifierComponent
            {
                Code = [new CodeableConcept { Text = breakdown }],
                Stratum = [.. strata.Select(s => new MeasureReport.StratifierGroupComponent
                {
                    Value = labels.Value(figure, breakdown, s.Key),
                    Population = [.. Populations(s.Cell).Select(p => new MeasureReport.StratifierGroupPopulationComponent { Code = p.Code, CountElement = p.Count })],
                    MeasureScore = Score(s.Cell),
                })],
            });
        }

        return new MeasureReport
        {
            Status = MeasureReport.MeasureReportStatus.Complete,
            Type = MeasureReport.MeasureReportType.Summary,
            Measure = measureCanonical,
            Date = now.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            Period = new Period(new FhirDateTime(period.Start.ToUniversalTime()), new FhirDateTime(period.End.ToUniversalTime())),
            Group = [group],
        };
    }

    // A cohort has its initial population; a proportion its initial population (all of it the denominator), denominator and numerator.
    private static IEnumerable<(CodeableConcept Code, Integer Count)> Populations(PublishedCell cell)
    {
        if (!cell.HasDenominator)
        {
            yield return (Code("initial-population"), Count(cell.Numerator));
            yield break;
        }

        yield return (Code("initial-population"), Count(cell.Denominator)); // every patient counted is in the denominator
        yield return (Code("denominator"), Count(cell.Denominator));
        yield return (Code("numerator"), Count(cell.Numerator));
    }

    private static Quantity? Score(PublishedCell cell) =>
        cell.HasDenominator && cell.Share is { } share
            ? new Quantity { Value = share, Unit = "proportion", System = "http://unitsofmeasure.org", Code = "1" }
            : null;

    private static CodeableConcept Code(string code) => new(OutcomeMeasures.PopulationSystem, code);

    // A suppressed count: no value, and why.
    private static Integer Count(int? count)
    {
        var element = new Integer(count);
        if (count is null)
        {
            element.Extension.Add(new Extension(DataAbsentReasonUrl, new Code("masked")));
        }

        return element;
    }
}
