using System.Globalization;
using System.Text;
using Wmtty.Api.Clinician;
using Wmtty.Fhir.Measures;

namespace Wmtty.Api.Measures;

/// <summary>
/// The page of one outcome figure: a form to choose the figure and period, the figure at the period's end, its trend month
/// by month and its breakdown by questionnaire language as SVG charts, each with a table of the same figures beside it,
/// then its own breakdown and the breakdowns by area as tables. Every text is encoded; suppressed counts say so.
/// </summary>
internal static class MeasuresPage
{
    public static string Render(HttpContext http, FigureResult result, OutcomeLabels labels, string periodStart, string periodEnd)
    {
        var figure = result.Figure;
        var last = result.Months[^1];
        var total = result.Total(last);
        var html = new StringBuilder()
            .Append("<h1>Outcome measures</h1>\n")
            .Append("<p>De-identified figures on who has told us what matters to them, and what they need. Counts from 1 to 7 are not shown ")
            .Append("(&ldquo;suppressed&rdquo;), all others are rounded to the nearest 5, and where that would hide one number in a breakdown another is hidden too. ")
            .Append("Each month's figure is as at its end.</p>\n");
        Form(html, http, figure, periodStart, periodEnd);

        html.Append("<section>\n<h2>").Text(figure.Title).Append("</h2>\n<p>").Text(figure.Description).Append("</p>\n")
            .Append("<p><strong>").Text(Headline(figure, total, labels.Display(figure, OutcomeFigures.Month, last))).Append("</strong></p>\n");

        var monthly = result.Months.Select(m => (Label: labels.Display(figure, OutcomeFigures.Month, m), Cell: result.Total(m))).ToList();
        html.Append("<h3>Month by month</h3>\n<div class=\"pair\">\n");
        Chart(html, "trend", figure, $"{figure.Title}, month by month", monthly, columns: true);
        Table(html, figure, $"{figure.Title}, month by month", "Month", monthly);
        html.Append("</div>\n");

        html.Append("<h3>By questionnaire language</h3>\n<div class=\"pair\">\n");
        var byLanguage = Strata(result, labels, last, OutcomeFigures.Language);
        Chart(html, "language", figure, $"{figure.Title} at the end of {labels.Display(figure, OutcomeFigures.Month, last)}, by the language the questionnaire was answered in", byLanguage, columns: false);
        Table(html, figure, $"{figure.Title}, by questionnaire language", "Language", byLanguage);
        html.Append("</div>\n");

        if (figure.Category is { } category)
        {
            var heading = category switch { OutcomeFigures.Recency => "How recently recorded", OutcomeFigures.CompletedBy => "Who helped", _ => "By answer" };
            html.Append("<h3>").Text(heading).Append("</h3>\n<div class=\"pair\">\n");
            var own = Strata(result, labels, last, category);
            Chart(html, "category", figure, $"{figure.Title} at the end of {labels.Display(figure, OutcomeFigures.Month, last)}: {heading.ToLowerInvariant()}", own, columns: false);
            Table(html, figure, $"{figure.Title}: {heading.ToLowerInvariant()}", heading, own);
            html.Append("</div>\n");
        }

        html.Append("<h3>By GP practice</h3>\n");
        Table(html, figure, $"{figure.Title}, by registered GP practice (ODS code)", "Practice", Strata(result, labels, last, OutcomeFigures.Practice));
        html.Append("<h3>By postcode district</h3>\n");
        Table(html, figure, $"{figure.Title}, by postcode district", "District", Strata(result, labels, last, OutcomeFigures.District));
        return html.Append("</section>\n").ToString();
    }

    private static void Form(StringBuilder html, HttpContext http, OutcomeFigure figure, string periodStart, string periodEnd)
    {
        html.Append("<form method=\"get\" action=\"").Text(ClinicianLayout.Href(http, MeasurePages.Path)).Append("\" class=\"choose\">\n")
            .Append("<label for=\"measure\">Figure</label>\n<p><select id=\"measure\" name=\"measure\">\n");
        foreach (var option in OutcomeFigures.All)
        {
            html.Append("<option value=\"").Text(option.Id).Append('"').Append(option == figure ? " selected" : "").Append('>').Text(option.Title).Append("</option>\n");
        }

        html.Append("</select></p>\n")
            .Append("<label for=\"period-start\">From (year and month, such as 2026-01)</label>\n")
            .Append("<p><input type=\"text\" id=\"period-start\" name=\"periodStart\" value=\"").Text(periodStart).Append("\" size=\"10\" autocomplete=\"off\"></p>\n")
            .Append("<label for=\"period-end\">To</label>\n")
            .Append("<p><input type=\"text\" id=\"period-end\" name=\"periodEnd\" value=\"").Text(periodEnd).Append("\" size=\"10\" autocomplete=\"off\"></p>\n")
            .Append("<button type=\"submit\">Show</button>\n</form>\n")
            .Append("<p><a href=\"").Text(ClinicianLayout.Href(http, $"{MeasurePages.Path}.csv?periodStart={Uri.EscapeDataString(periodStart)}&periodEnd={Uri.EscapeDataString(periodEnd)}"))
            .Append("\" download>Download every figure for this period (CSV)</a></p>\n");
    }

    private static List<(string Label, PublishedCell Cell)> Strata(FigureResult result, OutcomeLabels labels, string month, string breakdown) =>
        [.. result.Strata(month, breakdown).Select(c => (labels.Display(result.Figure, breakdown, c.Stratum), c))];

    private static string Headline(OutcomeFigure figure, PublishedCell total, string month) =>
        figure.Scoring == FigureScoring.Cohort
            ? $"At the end of {month}: {Count(total.Numerator)} patients."
            : $"At the end of {month}: {Count(total.Numerator)} of {Count(total.Denominator)} patients ({Percent(total.Share)}).";

    // Shares for a proportion, counts for a cohort; a suppressed value has no bar.
    private static void Chart(StringBuilder html, string id, OutcomeFigure figure, string title, List<(string Label, PublishedCell Cell)> cells, bool columns)
    {
        var bars = cells.Select(c => figure.Scoring == FigureScoring.Proportion
            ? new SvgCharts.Bar(c.Label, (double?)c.Cell.Share * 100, ShareText(c.Cell))
            : new SvgCharts.Bar(c.Label, c.Cell.Numerator, Count(c.Cell.Numerator))).ToList();
        var description = "Values, in the table that follows: " + string.Join("; ", bars.Select(b => $"{b.Label}: {b.ValueText}")) + ".";
        html.Append("<figure class=\"chart\">\n")
            .Append(columns ? SvgCharts.Columns(id, title, description, bars) : SvgCharts.Rows(id, title, description, bars))
            .Append("<figcaption>").Text(title).Append(figure.Scoring == FigureScoring.Proportion ? " (share of patients with recorded preferences)" : " (patients)").Append("</figcaption>\n</figure>\n");
    }

    private static void Table(StringBuilder html, OutcomeFigure figure, string caption, string first, List<(string Label, PublishedCell Cell)> cells)
    {
        if (cells.Count == 0)
        {
            html.Append("<p>None recorded.</p>\n");
            return;
        }

        var proportion = figure.Scoring == FigureScoring.Proportion;
        html.Append("<table>\n<caption>").Text(caption).Append("</caption>\n<thead><tr><th scope=\"col\">").Text(first).Append("</th>")
            .Append(proportion ? "<th scope=\"col\">Patients</th><th scope=\"col\">Of</th><th scope=\"col\">Share</th>" : "<th scope=\"col\">Patients</th>")
            .Append("</tr></thead>\n<tbody>\n");
        foreach (var (label, cell) in cells)
        {
            html.Append("<tr><th scope=\"row\">").Text(label).Append("</th><td>").Text(Count(cell.Numerator)).Append("</td>");
            if (proportion)
            {
                html.Append("<td>").Text(Count(cell.Denominator)).Append("</td><td>").Text(ShareText(cell)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static string Count(int? count) => count?.ToString("N0", CultureInfo.InvariantCulture) ?? "suppressed";

    // No share of no one: "none", not "suppressed", where nobody had recorded preferences.
    private static string ShareText(PublishedCell cell) => cell.Denominator == 0 ? "none" : Percent(cell.Share);

    private static string Percent(decimal? share) => share is { } s ? (s * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "suppressed";
}
