using System.Globalization;
using System.Text.RegularExpressions;

namespace Wmtty.Fhir.Search;

/// <summary>
/// The span of time a FHIR date, dateTime or instant covers, in Unix milliseconds with both ends
/// inclusive: "2024" is the whole year, "2024-05-01T10:00:00Z" one second. A value without a time
/// zone is taken as UTC.
/// </summary>
public readonly partial record struct FhirDateRange(long Low, long High)
{
    public static readonly long MinValue = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    public static readonly long MaxValue = new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static FhirDateRange Instant(DateTimeOffset instant)
    {
        var ms = instant.ToUnixTimeMilliseconds();
        return new FhirDateRange(ms, ms);
    }

    public static bool TryParse(string? value, out FhirDateRange range)
    {
        range = default;
        if (value is null)
        {
            return false;
        }

        var match = Pattern().Match(value);
        if (!match.Success)
        {
            return false;
        }

        // 0 stands for "not given"; a month or day actually written as 00 is invalid.
        var year = Int(match, "year");
        if (year < 1)
        {
            return false;
        }

        var month = match.Groups["month"].Success ? Int(match, "month") : 0;
        var day = match.Groups["day"].Success ? Int(match, "day") : 0;
        var monthValid = !match.Groups["month"].Success || month is >= 1 and <= 12;
        var dayValid = !match.Groups["day"].Success || (monthValid && day >= 1 && day <= DateTime.DaysInMonth(year, month));
        if (!monthValid || !dayValid)
        {
            return false;
        }

        var offsetMs = 0L;
        if (match.Groups["zone"].Success && match.Groups["zone"].Value != "Z")
        {
            var zone = match.Groups["zone"].Value;
            var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var minutes = int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture);
            if (hours > 14 || minutes > 59)
            {
                return false;
            }

            offsetMs = (hours * 60 + minutes) * 60_000L * (zone[0] == '-' ? -1 : 1);
        }

        // Local wall-clock time, shifted by the offset in plain arithmetic: 0001-01-01T00:00+14:00 is
        // before DateTimeOffset's range in UTC, but still a point FHIR can name.
        if (month == 0)
        {
            range = Span(new DateTime(year, 1, 1), s => s.AddYears(1), offsetMs);
            return true;
        }

        if (day == 0)
        {
            range = Span(new DateTime(year, month, 1), s => s.AddMonths(1), offsetMs);
            return true;
        }

        if (!match.Groups["hour"].Success)
        {
            range = Span(new DateTime(year, month, day), s => s.AddDays(1), offsetMs);
            return true;
        }

        var hour = Int(match, "hour");
        var minute = Int(match, "minute");
        if (hour > 23 || minute > 59)
        {
            return false;
        }

        if (!match.Groups["second"].Success)
        {
            range = Span(new DateTime(year, month, day, hour, minute, 0), s => s.AddMinutes(1), offsetMs);
            return true;
        }

        var second = Int(match, "second");
        if (second > 59)
        {
            return false;
        }

        var at = new DateTime(year, month, day, hour, minute, second);
        if (!match.Groups["fraction"].Success)
        {
            range = Span(at, s => s.AddSeconds(1), offsetMs);
            return true;
        }

        var instant = Milliseconds(at) + int.Parse((match.Groups["fraction"].Value + "00")[..3], CultureInfo.InvariantCulture) - offsetMs;
        range = new FhirDateRange(instant, instant);
        return true;
    }

    // The last span of year 9999 has no next span to end before; it ends at the last instant there is.
    private static FhirDateRange Span(DateTime start, Func<DateTime, DateTime> next, long offsetMs)
    {
        long end;
        try
        {
            end = Milliseconds(next(start));
        }
        catch (ArgumentOutOfRangeException)
        {
            end = Milliseconds(DateTime.MaxValue) + 1;
        }

        return new FhirDateRange(Milliseconds(start) - offsetMs, end - 1 - offsetMs);
    }

    private static long Milliseconds(DateTime local) => (local.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private static int Int(Match match, string group) => int.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<year>[0-9]{4})(-(?<month>[0-9]{2})(-(?<day>[0-9]{2})(T(?<hour>[0-9]{2}):(?<minute>[0-9]{2})(:(?<second>[0-9]{2})(\.(?<fraction>[0-9]{1,9}))?)?(?<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
