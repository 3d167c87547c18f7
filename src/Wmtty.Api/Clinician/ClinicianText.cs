using System.Globalization;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Summaries;

namespace Wmtty.Api.Clinician;

/// <summary>How the pages write dates, NHS numbers, names, languages and who gave an answer, in British English.</summary>
internal static class ClinicianText
{
    // Fixed, not from the culture: ICU's en-GB writes "Sept", and the page should read the same everywhere.
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private static readonly TimeZoneInfo UkTime = FindUkTime();

    /// <summary>"943 476 5919": the NHS's own 3-3-4 grouping.</summary>
    public static string NhsNumber(string digits) => digits.Length == 10 ? $"{digits[..3]} {digits[3..6]} {digits[6..]}" : digits;

    /// <summary>"23 Nov 2026", on the UK calendar day.</summary>
    public static string Date(DateTimeOffset when)
    {
        var local = TimeZoneInfo.ConvertTime(when, UkTime);
        return $"{local.Day} {Months[local.Month - 1]} {local.Year}";
    }

    /// <summary>A FHIR date or dateTime at its own precision: "2 Apr 1980", "Apr 1980" or "1980"; null when unreadable.</summary>
    public static string? Date(string? fhirDate)
    {
        if (string.IsNullOrEmpty(fhirDate))
        {
            return null;
        }

        if (fhirDate.Length > 10 && DateTimeOffset.TryParse(fhirDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return Date(instant);
        }

        var parts = fhirDate.Split('-');
        var ok = int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var year);
        var month = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 12 ? m : 0;
        var day = parts.Length > 2 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 1 and <= 31 ? d : 0;
        return !ok ? null : (month, day) switch
        {
            (0, _) => year.ToString(CultureInfo.InvariantCulture),
            (_, 0) => $"{Months[month - 1]} {year}",
            _ => $"{day} {Months[month - 1]} {year}",
        };
    }

    /// <summary>The name to greet the record by: the usual or official name, given names first.</summary>
    public static string? Name(Patient patient)
    {
        var name = patient.Name.FirstOrDefault(n => n.Use == Hl7.Fhir.Model.HumanName.NameUse.Usual)
            ?? patient.Name.FirstOrDefault(n => n.Use == Hl7.Fhir.Model.HumanName.NameUse.Official)
            ?? patient.Name.FirstOrDefault(n => n.Use is not (Hl7.Fhir.Model.HumanName.NameUse.Old or Hl7.Fhir.Model.HumanName.NameUse.Anonymous));
        if (name is null)
        {
            return null;
        }

        var text = name.Text is { Length: > 0 } written ? written : string.Join(' ', name.Given.Append(name.Family).Where(p => !string.IsNullOrWhiteSpace(p)));
        return text.Length == 0 ? null : PreferenceSummary.Clean(text);
    }

    /// <summary>The NHS number the record carries, if it shows one.</summary>
    public static string? NhsNumberOf(Patient patient) =>
        patient.Identifier.FirstOrDefault(i => i.System == Wmtty.Fhir.Patients.NhsNumber.System && Wmtty.Fhir.Patients.NhsNumber.IsValid(i.Value))?.Value;

    /// <summary>A BCP-47 tag's language in English: "Polish"; the tag itself when nothing better is known.</summary>
    public static string Language(string tag)
    {
        if (PreferenceCodes.Languages.FirstOrDefault(l => string.Equals(l.Tag, tag, StringComparison.OrdinalIgnoreCase)).Display is { } known)
        {
            return known;
        }

        try
        {
            var culture = CultureInfo.GetCultureInfo(tag, predefinedOnly: true);
            return culture.EnglishName;
        }
        catch (CultureNotFoundException)
        {
            return $"the language '{tag}'";
        }
    }

    /// <summary>"Updated 20 Nov 2026 by the patient", from an Observation's effective time and performer.</summary>
    public static string Updated(Observation observation) => Updated(Stamp(observation));

    public static string Updated((string? Date, AnsweredBy By) stamp, string updated = "Updated")
    {
        var by = stamp.By == AnsweredBy.Unknown ? "; who gave it is not recorded" : " by " + ResponseAuthors.Describe(stamp.By);
        return stamp.Date is null ? $"{updated}: date not recorded{by}" : $"{updated} {stamp.Date}{by}";
    }

    /// <summary>When and by whom, as the page compares them: the date as written, and who.</summary>
    public static (string? Date, AnsweredBy By) Stamp(Observation observation) =>
        (Date((observation.Effective as Hl7.Fhir.Model.FhirDateTime)?.Value), ResponseAuthors.Of(observation.Performer.FirstOrDefault()));

    private static TimeZoneInfo FindUkTime()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.Utc; // a machine without time zone data: UTC is at most an hour out
        }
    }
}
