using Wmtty.Api.Errors;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Measures;

/// <summary>Reads <c>periodStart</c> and <c>periodEnd</c> (FHIR dates: a year, a month, a day or a time) as the period the figures cover; 400 for anything else.</summary>
internal static class MeasurePeriod
{
    /// <summary>The period; one that runs past <paramref name="now"/> is counted up to now, as nothing later is known yet.</summary>
    public static ReportPeriod Parse(string? periodStart, string? periodEnd, DateTimeOffset now)
    {
        var start = Bound(periodStart, "periodStart").Low;
        var end = Bound(periodEnd, "periodEnd").High;
        if (end < start)
        {
            throw FhirException.BadRequest($"periodEnd ({FhirText.Shorten(periodEnd!, 40)}) is before periodStart ({FhirText.Shorten(periodStart!, 40)}).");
        }

        if (start > now.ToUnixTimeMilliseconds())
        {
            throw FhirException.BadRequest($"periodStart ({FhirText.Shorten(periodStart!, 40)}) is in the future: there are no figures for it yet.");
        }

        var period = new ReportPeriod(DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(end, now.ToUnixTimeMilliseconds())));
        if (period.MonthCount > ReportPeriod.MostMonths)
        {
            throw FhirException.BadRequest($"The period covers {period.MonthCount} months; the figures are given for at most {ReportPeriod.MostMonths} months at a time.");
        }

        return period;
    }

    /// <summary>The 12 whole months to the end of this one, for a page opened without a period.</summary>
    public static (string Start, string End) Default(DateTimeOffset now)
    {
        var month = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return (month.AddMonths(-11).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static FhirDateRange Bound(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw FhirException.BadRequest($"{name} is required: a date such as 2026-01, 2026-01-31 or 2026-01-31T23:59:59Z.", IssueType.Required);
        }

        return FhirDateRange.TryParse(value, out var range) && range.Low >= new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()
            ? range
            : throw FhirException.BadRequest($"{name} '{FhirText.Shorten(value, 40)}' is not a FHIR date from 2000 on, such as 2026-01, 2026-01-31 or 2026-01-31T23:59:59Z.");
    }
}
