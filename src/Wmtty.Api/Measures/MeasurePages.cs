using System.Globalization;
using System.Text;
using Wmtty.Api.Clinician;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Measures;

/// <summary>
/// The outcome figures for public-health staff: <c>/clinician/measures</c>, a page of charts and tables for one figure,
/// and <c>/clinician/measures.csv</c>, every figure's cells. Under <c>/clinician</c> so that the staff session and its
/// sign-in serve them; pages, not API, so they are left out of the OpenAPI document. Both are audited (measures-page,
/// measures-csv) and need the public-health or admin role (<see cref="MeasureAccess"/>).
/// </summary>
internal static class MeasurePages
{
    public const string Path = ClinicianSession.Path + "/measures";

    public static WebApplicationBuilder AddOutcomeMeasures(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OutcomeFigureReader>();
        builder.Services.AddHostedService<MeasureBackfill>(); // the facts of sets stored before migration 12
        return builder;
    }

    public static WebApplication MapMeasurePages(this WebApplication app)
    {
        var pages = app.MapGroup(ClinicianSession.Path).AllowAnonymous().ExcludeFromDescription();
        pages.MapGet("/measures", PageAsync).AuditedAs("measures-page");
        pages.MapGet("/measures.csv", CsvAsync).AuditedAs("measures-csv");
        return app;
    }

    private static async Task<ClinicianPage> PageAsync(HttpContext http, OutcomeFigureReader figures, TimeProvider clock, string? measure, string? periodStart, string? periodEnd, CancellationToken cancellationToken)
    {
        var figure = OutcomeFigures.Find(measure ?? OutcomeFigures.All[0].Id)
            ?? throw FhirException.BadRequest($"There is no figure '{FhirText.Shorten(measure ?? "", 60)}'. Choose one from the list.");
        var (start, end) = PeriodOrDefault(periodStart, periodEnd, clock);
        var period = MeasurePeriod.Parse(start, end, clock.GetUtcNow());
        var result = (await figures.ReadAsync([figure], period, cancellationToken))[0];
        var main = MeasuresPage.Render(http, result, figures.Labels, start, end);
        return new ClinicianPage(StatusCodes.Status200OK, ClinicianLayout.Render(http, "Outcome measures", main));
    }

    private static async Task<IResult> CsvAsync(HttpContext http, OutcomeFigureReader figures, TimeProvider clock, string? periodStart, string? periodEnd, CancellationToken cancellationToken)
    {
        var (start, end) = PeriodOrDefault(periodStart, periodEnd, clock);
        var period = MeasurePeriod.Parse(start, end, clock.GetUtcNow());
        var results = await figures.ReadAsync(OutcomeFigures.All, period, cancellationToken);
        var csv = new StringBuilder("measure,month,breakdown,stratum,stratum_name,numerator,denominator,share\r\n");
        foreach (var result in results)
        {
            foreach (var cell in result.Cells)
            {
                csv.Append(result.Figure.Id).Append(',').Append(cell.Month).Append(',').Append(cell.Breakdown).Append(',')
                    .Append(Field(cell.Stratum)).Append(',').Append(Field(cell.IsTotal ? "" : figures.Labels.Display(result.Figure, cell.Breakdown, cell.Stratum))).Append(',')
                    .Append(Count(cell.Numerator)).Append(',').Append(cell.HasDenominator ? Count(cell.Denominator) : "").Append(',')
                    .Append(cell.Share is { } share ? share.ToString("0.####", CultureInfo.InvariantCulture) : "").Append("\r\n");
            }
        }

        HtmlPage.NoStore(http.Response);
        var name = $"wmtty-outcome-measures-{period.Months()[0].Month}-to-{period.Months()[^1].Month}.csv";
        return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", name);
    }

    // A suppressed count is "*", as in NHS publications' tables.
    private static string Count(int? count) => count?.ToString(CultureInfo.InvariantCulture) ?? "*";

    // Quoted when it must be; a leading formula character is defused, as a spreadsheet would otherwise run it.
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static (string Start, string End) PeriodOrDefault(string? periodStart, string? periodEnd, TimeProvider clock)
    {
        var (start, end) = MeasurePeriod.Default(clock.GetUtcNow());
        return (string.IsNullOrEmpty(periodStart) ? start : periodStart, string.IsNullOrEmpty(periodEnd) ? end : periodEnd);
    }
}
