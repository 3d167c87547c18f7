using System.Text;
using Wmtty.Api.Preferences;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Summaries;

namespace Wmtty.Api.Clinician;

/// <summary>
/// What the patient has said before: each complete response, newest first, with when and by whom; then,
/// for each preference, what it is now and what it was, section by section. Withheld sections say so
/// and show nothing.
/// </summary>
internal static class HistoryPage
{
    private const int SetsPerPreference = 5;

    public static string Render(DisclosedPreferences read, PreferenceHistory history, string sectionSystem)
    {
        var html = new StringBuilder(4096);
        SummaryPage.Identity(html, read.Patient, "h1", "Preference history: ");
        html.Append("<section aria-labelledby=\"responses\">\n<h2 id=\"responses\">Answers given</h2>\n");
        if (history.Responses.Count == 0)
        {
            html.Append("<p>No completed answers yet.</p>\n");
        }
        else
        {
            html.Append("<table>\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Given by</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
            foreach (var response in history.Responses)
            {
                html.Append("<tr><td>").Text(ClinicianText.Date(response.Authored) ?? "Not recorded")
                    .Append("</td><td>").Text(ResponseAuthors.Describe(ResponseAuthors.Of(response.Author)))
                    .Append("</td><td>").Text(response.Status == QuestionnaireResponse.QuestionnaireResponseStatus.Amended ? "Amended" : "Completed")
                    .Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
            if (history.MoreResponses)
            {
                html.Append("<p>Only the latest ").Append(HistoryReading.MaxResponses).Append(" are shown.</p>\n");
            }
        }

        html.Append("</section>\n<section aria-labelledby=\"earlier\">\n<h2 id=\"earlier\">Earlier answers</h2>\n");
        if (history.MoreEarlier)
        {
            html.Append("<p>Only the latest ").Append(HistoryReading.MaxObservations).Append(" earlier answers are shown.</p>\n");
        }

        foreach (var (code, _) in PreferenceCodes.Sections)
        {
            html.Append("<h3>").Text(SummaryPage.Headings[code]).Append("</h3>\n");
            if (read.Withheld.Contains(code))
            {
                html.Append("<p class=\"withheld\">Not shared with you: the patient has chosen to keep this section private.</p>\n");
                continue;
            }

            Section(html, [.. read.Current.Where(o => Shown(o, sectionSystem, code))], [.. history.Earlier.Where(o => Shown(o, sectionSystem, code))], sectionSystem);
        }

        return html.Append("</section>\n").ToString();
    }

    private static void Section(StringBuilder html, List<Observation> current, List<Observation> earlier, string sectionSystem)
    {
        var changes = earlier.GroupBy(o => PreferenceLabels.Label(o, sectionSystem))
            .Select(p => (Label: p.Key, Now: current.Where(o => PreferenceLabels.Label(o, sectionSystem) == p.Key).ToList(), Before: Changes(p, current, sectionSystem)))
            .Where(p => p.Before.Count > 0).ToList();
        if (changes.Count == 0)
        {
            html.Append("<p>No earlier answers.</p>\n");
            return;
        }

        html.Append("<dl>\n");
        foreach (var (label, now, before) in changes)
        {
            html.Append("<dt>").Text(label).Append("</dt>\n<dd>Now: ");
            if (now.Count == 0)
            {
                html.Append("not answered");
            }
            else
            {
                SummaryPage.Answers(html, now);
            }

            html.Append("\n<ul>\n");
            foreach (var set in before)
            {
                html.Append("<li>Before: ");
                SummaryPage.Answers(html, set);
                html.Append(" <span class=\"updated\">").Text(ClinicianText.Updated(set[0])).Append("</span></li>\n");
            }

            html.Append("</ul>\n</dd>\n");
        }

        html.Append("</dl>\n");
    }

    // Each earlier answer that differs from the one after it, newest first. The answers one response gave to
    // one question belong together, such as two contact methods; saying the same again is not a change.
    private static List<List<Observation>> Changes(IEnumerable<Observation> earlier, List<Observation> current, string sectionSystem)
    {
        var changes = new List<List<Observation>>();
        var newer = Said(current.Where(o => PreferenceLabels.Label(o, sectionSystem) == PreferenceLabels.Label(earlier.First(), sectionSystem)));
        foreach (var set in earlier.GroupBy(o => o.DerivedFrom.FirstOrDefault()?.Reference ?? o.Id))
        {
            var said = Said(set);
            if (said != newer && changes.Count < SetsPerPreference)
            {
                changes.Add([.. set]);
            }

            newer = said;
        }

        return changes;
    }

    private static string Said(IEnumerable<Observation> answers) =>
        string.Join('\n', answers.Select(o => PreferenceLabels.Value(o) + "\u001f" + o.Language).Order(StringComparer.Ordinal));

    // The names written in for "another language" are already in the coded answers they belong to.
    private static bool Shown(Observation o, string sectionSystem, string section) =>
        SummaryPage.InSection(o, sectionSystem, section)
        && o.Code?.Coding.Any(c => c.System == sectionSystem && c.Code is PreferenceCodes.PreferredLanguageOther or PreferenceCodes.InterpreterLanguageOther) != true;
}
