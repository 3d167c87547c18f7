using System.Text;
using Wmtty.Api.Preferences;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Summaries;

namespace Wmtty.Api.Clinician;

/// <summary>
/// One patient's preferences on one screen, for a busy clinician: whether an interpreter is needed, and
/// in what language, first and unmissable; who the patient is; then the five sections in questionnaire
/// order, in English whatever language the patient answered in, with free text exactly as written.
/// </summary>
internal static class SummaryPage
{
    /// <summary>The page's heading for each questionnaire section, in the questionnaire's order.</summary>
    public static IReadOnlyDictionary<string, string> Headings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["language-communication"] = "Communication needs",
        ["beliefs-culture"] = "Beliefs and diet",
        ["care-preferences"] = "Care preferences",
        ["access-adjustments"] = "Access needs",
        ["what-matters"] = "What matters most",
    };

    private const string LanguageSection = "language-communication";

    public static string Render(DisclosedPreferences read, string sectionSystem)
    {
        var html = new StringBuilder(4096);

        // Usually one response gave every answer: then say when, and by whom, once.
        var stamps = read.Current.Select(ClinicianText.Stamp).Distinct().ToList();
        var stampEach = stamps.Count > 1;
        Interpreter(html, read, sectionSystem, stampEach);
        Identity(html, read.Patient, "h1");
        if (read.Current.Count == 0 && read.Withheld.Count == 0)
        {
            html.Append("<p>No preferences have been recorded for this patient yet.</p>\n");
        }
        else if (!stampEach && stamps.Count > 0)
        {
            html.Append("<p class=\"updated\">").Text(ClinicianText.Updated(stamps[0], "All answers updated")).Append("</p>\n");
        }

        html.Append("<div class=\"sections\">\n");
        foreach (var (code, _) in PreferenceCodes.Sections)
        {
            var shown = read.Current.Where(o => InSection(o, sectionSystem, code) && !InBanner(o, sectionSystem)).ToList();
            html.Append(code == "what-matters" ? "<section class=\"own\" aria-labelledby=\"" : "<section aria-labelledby=\"").Append(code).Append("\">\n")
                .Append("<h2 id=\"").Append(code).Append("\">").Text(Headings[code]).Append("</h2>\n");
            Section(html, shown, read.Withheld.Contains(code), sectionSystem, stampEach);
            html.Append("</section>\n");
        }

        return html.Append("</div>\n").ToString();
    }

    /// <summary>The patient's name (or that none is recorded) as a heading, then NHS number and date of birth: only what the record disclosed.</summary>
    public static void Identity(StringBuilder html, Patient patient, string heading, string prefix = "")
    {
        html.Append('<').Append(heading).Append('>').Text(prefix + (ClinicianText.Name(patient) ?? "Name not recorded")).Append("</").Append(heading).Append(">\n<p class=\"who\">");
        var parts = new List<string>();
        if (ClinicianText.NhsNumberOf(patient) is { } nhs)
        {
            parts.Add("NHS number " + ClinicianText.NhsNumber(nhs));
        }

        parts.Add(ClinicianText.Date(patient.BirthDate) is { } born ? "Born " + born : "Date of birth not recorded");
        html.AppendJoin(" · ", parts.Select(p => "<span>" + Html.Encode(p) + "</span>")).Append("</p>\n");
    }

    // Can we talk, and how: read before anything else.
    private static void Interpreter(StringBuilder html, DisclosedPreferences read, string sectionSystem, bool stampEach)
    {
        if (read.Withheld.Contains(LanguageSection))
        {
            html.Append("<div class=\"interpreter\">\n<p class=\"need\">Interpreter need not shared with you</p>\n")
                .Append("<p class=\"detail\">The patient has chosen not to share their language and communication needs with you. Ask them how they want to communicate.</p>\n</div>\n");
            return;
        }

        var needed = read.Current.FirstOrDefault(o => Is(o, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded));
        var languages = read.Current.Where(o => Is(o, sectionSystem, PreferenceCodes.InterpreterLanguage)).Select(Value).Where(v => v.Length > 0).ToList();
        var (style, text) = (needed?.Value as Hl7.Fhir.Model.FhirBoolean)?.Value switch
        {
            true => ("interpreter needed", "Interpreter needed: " + (languages.Count > 0 ? string.Join(", ", languages) : "language not given")),
            false => ("interpreter not-needed", "No interpreter needed"),
            _ => ("interpreter", "Interpreter need not recorded"),
        };
        html.Append("<div class=\"").Append(style).Append("\">\n<p class=\"need\">").Text(text).Append("</p>\n<p class=\"detail\">");
        var preferred = read.Current.Where(o => Is(o, PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage)).Select(Value).ToList();
        html.Text(preferred.Count > 0 ? $"Preferred language: {string.Join(", ", preferred)}." : "Preferred language not recorded.");
        if (stampEach && (needed ?? read.Current.FirstOrDefault(o => Is(o, PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage))) is { } stamped)
        {
            html.Append(" <span class=\"updated\">").Text(ClinicianText.Updated(stamped)).Append("</span>");
        }

        html.Append("</p>\n</div>\n");
    }

    private static void Section(StringBuilder html, List<Observation> shown, bool withheld, string sectionSystem, bool stampEach)
    {
        if (withheld)
        {
            html.Append("<p class=\"withheld\">Not shared with you: the patient has chosen to keep this section private.</p>\n");
            return;
        }

        if (shown.Count == 0)
        {
            html.Append("<p>Nothing recorded.</p>\n");
            return;
        }

        // When answers came at different times, each section (or, within one, each line) says its own.
        var stamps = shown.Select(ClinicianText.Stamp).Distinct().ToList();
        if (stampEach && stamps.Count == 1)
        {
            html.Append("<p class=\"updated\">").Text(ClinicianText.Updated(stamps[0])).Append("</p>\n");
        }

        html.Append("<dl>\n");
        foreach (var line in shown.GroupBy(o => PreferenceLabels.Label(o, sectionSystem)))
        {
            html.Append("<dt>").Text(line.Key).Append("</dt>\n<dd>");
            Answers(html, [.. line]);
            if (stampEach && stamps.Count > 1)
            {
                html.Append("<br><span class=\"updated\">").Text(ClinicianText.Updated(line.First())).Append("</span>");
            }

            html.Append("</dd>\n");
        }

        html.Append("</dl>\n");
    }

    /// <summary>A question's answers: coded ones in English, joined; free text as written, marked with its language.</summary>
    public static void Answers(StringBuilder html, IReadOnlyList<Observation> answers)
    {
        var coded = answers.Where(o => o.Value is not Hl7.Fhir.Model.FhirString).Select(Value).Where(v => v.Length > 0).ToList();
        html.Text(string.Join("; ", coded));
        foreach (var text in answers.Where(o => o.Value is Hl7.Fhir.Model.FhirString))
        {
            OwnWords(html, text);
        }
    }

    // Exactly as written: encoded, line breaks kept by the stylesheet, read in its own language and direction.
    private static void OwnWords(StringBuilder html, Observation observation)
    {
        var value = Value(observation);
        html.Append("<span class=\"own-words\"");
        if (observation.Language is { Length: > 0 } tag)
        {
            html.Append(" lang=\"").Text(tag).Append('"');
        }

        if (PreferenceSummary.IsRightToLeft(value))
        {
            html.Append(" dir=\"rtl\"");
        }

        html.Append('>').Text(value).Append("</span>");
        if (observation.Language is { Length: > 0 } language)
        {
            html.Append("<span class=\"updated\">Written in ").Text(ClinicianText.Language(language)).Append("</span>");
        }
    }

    private static string Value(Observation observation) => PreferenceSummary.Clean(PreferenceLabels.Value(observation));

    // The interpreter and language answers are the banner; the names written in for "another language" are already in those answers.
    private static bool InBanner(Observation o, string sectionSystem) =>
        Is(o, PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage) || Is(o, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded)
        || Is(o, sectionSystem, PreferenceCodes.InterpreterLanguage) || Is(o, sectionSystem, PreferenceCodes.PreferredLanguageOther)
        || Is(o, sectionSystem, PreferenceCodes.InterpreterLanguageOther);

    public static bool InSection(Observation o, string sectionSystem, string section) =>
        o.Category.Any(c => c.Coding.Any(x => x.System == sectionSystem && x.Code == section));

    private static bool Is(Observation o, string system, string code) =>
        o.Code?.Coding.Any(c => c.System == system && c.Code == code) == true;
}
