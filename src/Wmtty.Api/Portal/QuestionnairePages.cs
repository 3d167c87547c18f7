using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Wmtty.Api.SignIn;
using Wmtty.Fhir.Responses;
using static Wmtty.Api.Portal.PortalLayout;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Api.Portal;

/// <summary>
/// The questionnaire, one section a page: a start page (who is helping), each section saved as an
/// in-progress response as the patient goes, a review of every answer, then a confirmation. Forms are
/// plain HTML posts, so all of it works with script switched off.
/// </summary>
internal static class QuestionnairePages
{
    private const string SectionPath = "/section";
    private const string HelperField = "helper";
    private const string VersionField = "questionnaire";

    private static readonly (string Value, AnsweredBy By, string Text)[] Helpers =
    [
        ("alone", AnsweredBy.Patient, "No, I am answering on my own"),
        ("connector", AnsweredBy.Connector, "Yes, a community connector"),
        ("family", AnsweredBy.Family, "Yes, a family member, carer or friend"),
        ("staff", AnsweredBy.Clinician, "Yes, a member of NHS staff"),
    ];

    public static void MapQuestionnairePages(this RouteGroupBuilder portal)
    {
        portal.MapGet("", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "", Start));
        portal.MapPost("/start", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "", Begin));
        portal.MapGet($"{SectionPath}/{{number:int}}", (int number, HttpContext http) => PortalVisit.RunAsync(http, $"{SectionPath}/{number}", v => Task.FromResult(Section(v, number))));
        portal.MapPost($"{SectionPath}/{{number:int}}", (int number, HttpContext http) => PortalVisit.RunAsync(http, $"{SectionPath}/{number}", v => SaveSection(v, number)));
        portal.MapGet("/review", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "/review", v => Task.FromResult(Review(v, null))));
        portal.MapPost("/review", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "/review", Send));
        portal.MapGet("/saved", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "/saved", v => Task.FromResult(Message(v, "Your answers are saved",
            "You can close this page. To carry on later, open this page again on this device, or ask for a new link.", "Continue where you left off"))));
        portal.MapGet("/done", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "/done", Done));
        portal.MapPost("/sign-out", Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, "", SignOut)); // its language links go to the start page
    }

    // Each handler's return type is written out: a lambda of HttpContext alone returning a Task would bind as a bare
    // RequestDelegate, whose IResult the framework would not write. As lambdas, the endpoints are compiled with the
    // service (the request delegate generator), not built at start-up.

    private static Task<IResult> Start(PortalVisit visit)
    {
        var (layout, draft) = (visit.Layout, visit.Draft);
        var html = new StringBuilder();
        html.Append("<h1>").Append(Encode(visit.Sections.Title(layout.Language))).Append("</h1>\n")
            .Append("<p>").Append(Encode(layout.T("These questions are about how you want to be cared for, so that you do not have to explain it every time. It takes about 10 minutes."))).Append("</p>\n")
            .Append("<p>").Append(Encode(layout.T("You can stop at any time and come back later. Your answers are saved after each section."))).Append("</p>\n");
        if (draft.HasSentBefore && draft.Id is null)
        {
            html.Append("<p>").Append(Encode(layout.T("You have sent your answers. You can change them at any time."))).Append("</p>\n");
        }

        if (draft.Prefilled)
        {
            html.Append("<div class=\"inset\"><p>").Append(Encode(layout.T("We have filled in the answers you gave before. Check them and change anything that is different."))).Append("</p></div>\n");
        }

        var helper = ResponseAuthors.Of(draft.Response.Author);
        html.Append("<form method=\"post\" action=\"").Append(Attr(Path("/start"))).Append("\" novalidate>\n").Append(visit.AntiforgeryField())
            .Append("<fieldset class=\"question\">\n<legend>").Append(Encode(layout.T("Is anyone helping you answer these questions today?"))).Append("</legend>\n");
        for (var i = 0; i < Helpers.Length; i++)
        {
            var (value, by, text) = Helpers[i];
            var chosen = draft.Id is not null ? helper == by || (i == 0 && helper == AnsweredBy.Unknown) : i == 0;
            html.Append("<div class=\"choice\"><input type=\"radio\" id=\"helper-").Append(i).Append("\" name=\"").Append(HelperField).Append("\" value=\"").Append(value).Append('"')
                .Append(chosen ? " checked" : "").Append("><label for=\"helper-").Append(i).Append("\">").Append(Encode(layout.T(text))).Append("</label></div>\n");
        }

        var carryOn = draft.Id is not null && draft.SectionsDone > 0;
        html.Append("</fieldset>\n<div class=\"actions\"><button type=\"submit\">")
            .Append(Encode(layout.T(carryOn ? "Continue where you left off" : draft.HasSentBefore ? "Change your answers" : "Start"))).Append("</button></div>\n</form>\n");
        PortalDownload.Offer(html, layout);
        return Task.FromResult<IResult>(visit.Page(StatusCodes.Status200OK, visit.Sections.Title(layout.Language), html.ToString()));
    }

    private static async Task<IResult> Begin(PortalVisit visit)
    {
        var form = await visit.Http.Request.ReadFormAsync(visit.Http.RequestAborted);
        var by = Helpers.FirstOrDefault(h => h.Value == form[HelperField].ToString()).By;
        visit.Draft.Response.Author = ResponseAuthors.For(by == AnsweredBy.Unknown ? AnsweredBy.Patient : by, PortalDrafts.Subject(visit.PatientId).Reference!);
        visit.Draft = await visit.Drafts.SaveAsync(visit.Caller, visit.Draft, visit.Layout.Language, visit.Draft.SectionsDone, visit.LocalBase, visit.Http.RequestAborted);
        var next = visit.Draft.SectionsDone;
        return new SeeOther(next >= visit.Sections.Pages.Count ? Path("/review") : SectionUrl(next + 1));
    }

    private static IResult Section(PortalVisit visit, int number, SectionAnswers? errors = null, IFormCollection? posted = null, string? notice = null)
    {
        var sections = visit.Sections;
        if (number < 1 || number > sections.Pages.Count)
        {
            return PortalPages.NotFound;
        }

        var layout = visit.Layout;
        var page = number - 1;
        var top = sections.Pages[page];
        var title = sections.Text(top, layout.Language);
        var problems = errors?.Errors ?? new Dictionary<string, string>();
        var html = new StringBuilder();
        html.Append("<a class=\"back\" href=\"").Append(Attr(number == 1 ? Path("") : SectionUrl(number - 1))).Append("\">").Append(Encode(layout.T("Back"))).Append("</a>\n");
        if (notice is not null)
        {
            html.Append("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\"><p>").Append(Encode(notice)).Append("</p></div>\n");
        }

        ErrorSummary(html, layout, problems.Select(p => (Link: "#" + Field(sections, p.Key), Text: p.Value)));
        html.Append("<form method=\"post\" action=\"").Append(Attr(SectionUrl(number))).Append("\" data-portal-section novalidate>\n").Append(visit.AntiforgeryField())
            .Append("<input type=\"hidden\" name=\"").Append(VersionField).Append("\" value=\"").Append(Attr(sections.Canonical)).Append("\">\n")
            .Append("<p class=\"progress\">").Append(Encode(layout.T("Section {0} of {1}", Number(number), Number(sections.Pages.Count)))).Append("</p>\n")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n")
            .Append(new SectionForm(sections, layout, new ResponseAnswers(visit.Draft.Response), problems, posted).Render(page))
            .Append("<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"continue\">").Append(Encode(layout.T("Save and continue"))).Append("</button>")
            .Append("<button type=\"submit\" name=\"action\" value=\"later\" class=\"secondary\">").Append(Encode(layout.T("Save and come back later"))).Append("</button></div>\n</form>\n");
        var status = problems.Count > 0 ? StatusCodes.Status422UnprocessableEntity : notice is not null ? StatusCodes.Status409Conflict : StatusCodes.Status200OK;
        return visit.Page(status, $"{title} - {layout.T("Section {0} of {1}", Number(number), Number(sections.Pages.Count))}", html.ToString(), hasErrors: problems.Count > 0);
    }

    private static async Task<IResult> SaveSection(PortalVisit visit, int number)
    {
        var sections = visit.Sections;
        if (number < 1 || number > sections.Pages.Count)
        {
            return PortalPages.NotFound;
        }

        var form = await visit.Http.Request.ReadFormAsync(visit.Http.RequestAborted);
        if (form[VersionField].ToString() != sections.Canonical)
        {
            // The page was built from another version of the questions: its option numbers mean something else now.
            return Section(visit, number, notice: visit.Layout.T("Your answers could not be saved because the questions have changed. Please check this section again."));
        }

        var later = form["action"] == "later";
        var answers = new SectionAnswers(sections, visit.Layout);
        answers.Apply(visit.Draft.Response, number - 1, form, requireAnswers: !later);
        if (answers.Errors.Count > 0)
        {
            return Section(visit, number, answers, form);
        }

        // Stopping with a required question unanswered: the patient comes back to this section, not the next.
        var unanswered = new SectionAnswers(sections, visit.Layout);
        unanswered.CheckRequired(sections.Pages[number - 1], new ResponseAnswers(visit.Draft.Response));
        var done = unanswered.Errors.Count == 0 ? Math.Max(visit.Draft.SectionsDone, number) : Math.Min(visit.Draft.SectionsDone, number - 1);
        visit.Draft = await visit.Drafts.SaveAsync(visit.Caller, visit.Draft, visit.Layout.Language, done, visit.LocalBase, visit.Http.RequestAborted);
        if (later)
        {
            return new SeeOther(Path("/saved"));
        }

        return new SeeOther(number < sections.Pages.Count ? SectionUrl(number + 1) : Path("/review"));
    }

    private static IResult Review(PortalVisit visit, SectionAnswers? missing)
    {
        var (sections, layout) = (visit.Sections, visit.Layout);
        var answers = new ResponseAnswers(visit.Draft.Response);
        var problems = missing?.Errors ?? new Dictionary<string, string>();
        var html = new StringBuilder();
        html.Append("<a class=\"back\" href=\"").Append(Attr(SectionUrl(sections.Pages.Count))).Append("\">").Append(Encode(layout.T("Back"))).Append("</a>\n");
        ErrorSummary(html, layout, problems.Select(p => (Link: SectionUrl(sections.PageOf(p.Key) + 1) + "#" + Field(sections, p.Key), Text: $"{sections.Text(sections.Find(p.Key)!, layout.Language)}: {p.Value}")));
        html.Append("<h1>").Append(Encode(layout.T("Check your answers"))).Append("</h1>\n<p>").Append(Encode(layout.T("Check your answers before you send them. You can change any answer."))).Append("</p>\n");
        for (var page = 0; page < sections.Pages.Count; page++)
        {
            var top = sections.Pages[page];
            html.Append("<h2>").Append(Encode(sections.Text(top, layout.Language))).Append("</h2>\n<dl class=\"answers\">\n");
            foreach (var question in Questions(top).Where(answers.IsEnabled))
            {
                var given = answers.Of(question).Select(a => ChoiceValues.Display(question, a, layout.Language, layout)).OfType<string>().ToList();
                var text = sections.Text(question, layout.Language);
                html.Append("<div><dt>").Append(Encode(text)).Append("</dt><dd>")
                    .Append(given.Count > 0 ? string.Join("<br>", given.Select(Encode)) : Encode(layout.T("Not answered")))
                    .Append("</dd><dd><a href=\"").Append(Attr($"{SectionUrl(page + 1)}#{SectionForm.FieldId(question)}")).Append("\">").Append(Encode(layout.T("Change")))
                    .Append("<span class=\"visually-hidden\"> ").Append(Encode(text)).Append("</span></a></dd></div>\n");
            }

            html.Append("</dl>\n");
        }

        html.Append("<form method=\"post\" action=\"").Append(Attr(Path("/review"))).Append("\" novalidate>\n").Append(visit.AntiforgeryField())
            .Append("<div class=\"actions\"><button type=\"submit\">").Append(Encode(layout.T("Send my answers"))).Append("</button></div>\n</form>\n");
        return visit.Page(problems.Count > 0 ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK, layout.T("Check your answers"), html.ToString(), problems.Count > 0);
    }

    private static async Task<IResult> Send(PortalVisit visit)
    {
        if (visit.Draft.Id is null)
        {
            // Nothing in progress (already sent, say by a second click): send nothing again.
            return new SeeOther(Path(""));
        }

        var missing = new SectionAnswers(visit.Sections, visit.Layout);
        var answers = new ResponseAnswers(visit.Draft.Response);
        foreach (var top in visit.Sections.Pages)
        {
            missing.CheckRequired(top, answers);
        }

        if (missing.Errors.Count > 0)
        {
            return Review(visit, missing);
        }

        await visit.Drafts.SubmitAsync(visit.Caller, visit.Draft, visit.Layout.Language, visit.LocalBase, visit.Http.RequestAborted);
        return new SeeOther(Path("/done"));
    }

    private static Task<IResult> Done(PortalVisit visit)
    {
        var layout = visit.Layout;
        var html = new StringBuilder();
        html.Append("<div class=\"panel\"><h1>").Append(Encode(layout.T("Thank you"))).Append("</h1>\n<p>")
            .Append(Encode(layout.T("Your answers have been sent. Your care team can now see what matters to you."))).Append("</p></div>\n<p>")
            .Append(Encode(layout.T("You can change your answers at any time by coming back here."))).Append("</p>\n<p><a href=\"").Append(Attr(Path(""))).Append("\">")
            .Append(Encode(layout.T("Change your answers"))).Append("</a></p>\n");
        return Task.FromResult<IResult>(visit.Page(StatusCodes.Status200OK, layout.T("Thank you"), html.ToString()));
    }

    private static IResult Message(PortalVisit visit, string heading, string text, string link)
    {
        var layout = visit.Layout;
        var html = $"<h1>{Encode(layout.T(heading))}</h1>\n<p>{Encode(layout.T(text))}</p>\n<p><a href=\"{Attr(Path(""))}\">{Encode(layout.T(link))}</a></p>\n";
        return visit.Page(StatusCodes.Status200OK, layout.T(heading), html);
    }

    private static async Task<IResult> SignOut(PortalVisit visit)
    {
        await visit.Http.SignOutAsync(InvitationSignIn.Scheme);
        var layout = visit.Layout;
        var html = $"<h1>{Encode(layout.T("You have signed out"))}</h1>\n<p>{Encode(layout.T("Your answers are saved. To carry on another time, ask for a new link."))}</p>\n";
        return new HtmlPage(StatusCodes.Status200OK, layout.Render(layout.T("You have signed out"), html, signedIn: false));
    }

    private static void ErrorSummary(StringBuilder html, PortalLayout layout, IEnumerable<(string Link, string Text)> problems)
    {
        var list = problems.ToList();
        if (list.Count == 0)
        {
            return;
        }

        // Announced as soon as the page loads, and focused by the script; each line links to its question.
        html.Append("<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n<h2 id=\"error-summary-title\">")
            .Append(Encode(layout.T("There is a problem"))).Append("</h2>\n<ul>\n");
        foreach (var (link, text) in list)
        {
            html.Append("<li><a href=\"").Append(Attr(link)).Append("\">").Append(Encode(text)).Append("</a></li>\n");
        }

        html.Append("</ul>\n</div>\n");
    }

    private static IEnumerable<Questionnaire.ItemComponent> Questions(Questionnaire.ItemComponent item)
    {
        if (item.Type == ItemType.Group)
        {
            return item.Item.SelectMany(Questions);
        }

        return item.Type == ItemType.Display ? [] : [item];
    }

    private static string Field(QuestionnaireSections sections, string linkId) => sections.Find(linkId) is { } item ? SectionForm.FieldId(item) : "main-content";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string SectionUrl(int number) => Path($"{SectionPath}/{Number(number)}");

    private static string Path(string rest) => PortalEndpoints.Path + rest;
}
