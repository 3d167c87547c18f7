using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Wmtty.Api.Access;
using Wmtty.Api.Fhir;
using Wmtty.Api.SignIn;

namespace Wmtty.Api.Portal;

/// <summary>
/// One request of a signed-in patient to the questionnaire pages: who they are (as the same Caller the
/// FHIR API would see), the questionnaire, their draft, and the language the page is in. Each visit is
/// audited like an API call, against the patient.
/// </summary>
internal sealed class PortalVisit
{
    public required HttpContext Http { get; init; }

    public required Caller Caller { get; init; }

    public required string PatientId { get; init; }

    public required QuestionnaireSections Sections { get; init; }

    public required Draft Draft { get; set; }

    public required PortalLayout Layout { get; init; }

    public required PortalDrafts Drafts { get; init; }

    public Uri LocalBase => FhirRequest.BaseUri(Http);

    /// <summary>The hidden field that proves a form came from this site's page.</summary>
    public string AntiforgeryField()
    {
        var tokens = Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http);
        return $"<input type=\"hidden\" name=\"{PortalLayout.Attr(tokens.FormFieldName)}\" value=\"{PortalLayout.Attr(tokens.RequestToken)}\">";
    }

    public HtmlPage Page(int status, string title, string content, bool hasErrors = false) =>
        new(status, Layout.Render(title, content, hasErrors, signedIn: true, antiforgery: AntiforgeryField()));

    /// <summary>How to get in, in the visitor's language: the link they were sent (or, in Development, the stand-in sign-in).</summary>
    private static async Task<HtmlPage> NotSignedIn(HttpContext http, string path)
    {
        var texts = PortalTexts.Default;
        var languages = texts.Languages;
        var layout = new PortalLayout(PortalLanguage.Choose(http, languages, null), languages, http.Request.PathBase + PortalEndpoints.Path + path);
        var heading = layout.T("Open the link you were sent");
        var html = $"<h1>{PortalLayout.Encode(heading)}</h1>\n" +
            $"<p>{PortalLayout.Encode(layout.T("To tell us what matters to you, open the link in the message from your GP practice, clinic or community connector."))}</p>\n" +
            $"<p>{PortalLayout.Encode(layout.T("If the link does not work, ask them for a new one. Nothing you have already told us is lost."))}</p>\n";
        if (await PortalSignInPages.HasProviderAsync(http))
        {
            html += $"<p><a class=\"button\" href=\"{PortalLayout.Attr(http.Request.PathBase + PortalEndpoints.Path + "/sign-in")}\">{PortalLayout.Encode(layout.T("Sign in with NHS login"))}</a></p>\n";
        }
        else if (http.RequestServices.GetService<DevelopmentTokenIssuer>() is not null)
        {
            html += $"<p><a href=\"{PortalLayout.Attr(http.Request.PathBase + PortalEndpoints.Path + "/sign-in")}\" lang=\"en\">Sign in (Development)</a></p>\n";
        }

        return new HtmlPage(StatusCodes.Status401Unauthorized, layout.Render(heading, html, signedIn: false));
    }

    /// <summary>
    /// Runs a page for the signed-in patient; without a session, the page that says how to get one. A
    /// form whose antiforgery token does not check out changes nothing.
    /// </summary>
    /// <param name="interaction">What the audit record calls the visit, with the type it concerns; by default a view or a save of the draft.</param>
    public static async Task<IResult> RunAsync(HttpContext http, string path, Func<PortalVisit, Task<IResult>> page, (string Interaction, string ResourceType)? interaction = null)
    {
        var session = await http.AuthenticateAsync(InvitationSignIn.Scheme);
        if (!session.Succeeded || PatientSignIn.NhsNumberOf(session.Principal!) is null)
        {
            return await NotSignedIn(http, path);
        }

        http.User = session.Principal!;
        var posting = HttpMethods.IsPost(http.Request.Method);
        if (posting && await PortalForms.RefuseAsync(http) is { } refused)
        {
            return refused;
        }

        var (caller, record) = AuditedRequest.Start(http, posting ? "U" : "R", interaction?.Interaction ?? (posting ? "portal-save" : "portal-view"),
            interaction?.ResourceType ?? Wmtty.Fhir.Resources.ResourceTypes.QuestionnaireResponse, null);
        var result = await AuditedRequest.RunAsync(http, record, async () =>
        {
            var cancellationToken = http.RequestAborted;
            var drafts = http.RequestServices.GetRequiredService<PortalDrafts>();
            var sections = await drafts.QuestionnaireAsync(cancellationToken);
            var patientId = await drafts.PatientIdAsync(caller, FhirRequest.BaseUri(http), cancellationToken);
            record.AddPatient(patientId);
            var draft = await drafts.LoadAsync(caller, sections, patientId, cancellationToken);
            record.ResourceId = draft.Id;
            var language = PortalLanguage.Choose(http, sections.Languages, draft.Response.Language);
            var visit = new PortalVisit
            {
                Http = http,
                Caller = caller,
                PatientId = patientId,
                Sections = sections,
                Draft = draft,
                Layout = new PortalLayout(language, sections.Languages, http.Request.PathBase + PortalEndpoints.Path + path),
                Drafts = drafts,
            };
            return await page(visit);
        });
        return (IResult)result!;
    }
}
