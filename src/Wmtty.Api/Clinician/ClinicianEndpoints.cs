using System.Text;
using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.Preferences;
using Wmtty.Api.SignIn;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Clinician;

/// <summary>
/// <c>/clinician</c>: one patient's preferences on one screen for a clinician, by NHS number, and their
/// history. Server-rendered pages, not API, so they are left out of the OpenAPI document; errors are pages
/// too. Each page about a patient signs the caller in and audits itself (<see cref="ClinicianAccess"/>),
/// so the group itself lets anonymous requests through to say how to sign in.
/// </summary>
internal static class ClinicianEndpoints
{
    public static WebApplication MapClinician(this WebApplication app)
    {
        var clinician = app.MapGroup(ClinicianSession.Path).AllowAnonymous().ExcludeFromDescription();
        clinician.MapGet("", Home);
        clinician.MapGet("/patients", Find);
        clinician.MapClinicianSignIn(app.DevelopmentSignInEnabled()); // /clinician/session; /clinician/sign-in in Development

        var patient = clinician.MapGroup("/patients/{nhsNumber}").RequirePatientAccess();
        patient.MapGet("", Summary).AuditedAs("clinician-summary")
            .Requires(ResourceTypes.Patient, Interactions.Read).Requires(ResourceTypes.Observation, Interactions.Read); // as $wmtty-summary
        var history = patient.MapGet("/history", History).AuditedAs("clinician-history");
        foreach (var need in ClinicianAccess.HistoryNeeds)
        {
            history.Requires(need.ResourceType, need.Interactions);
        }

        return app;
    }

    private static async Task<ClinicianPage> Summary(string nhsNumber, HttpContext http, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var (caller, patientId) = ClinicianAccess.Of(http);
        var read = await PreferenceReading.ReadAsync(caller, patientId, store, preferences, policy, cancellationToken);
        var links = new List<(string, string)>();
        if (ClinicianAccess.MaySeeHistory(caller))
        {
            links.Add(($"{PatientPath(nhsNumber)}/history", "Earlier answers"));
        }

        return Page(http, caller, "Patient summary", SummaryPage.Render(read, policy.SectionSystem), links);
    }

    private static async Task<ClinicianPage> History(string nhsNumber, HttpContext http, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var (caller, patientId) = ClinicianAccess.Of(http);
        var read = await PreferenceReading.ReadAsync(caller, patientId, store, preferences, policy, cancellationToken);
        var history = await HistoryReading.ReadAsync(caller, patientId, read.Current, store, policy, cancellationToken);
        return Page(http, caller, "Preference history", HistoryPage.Render(read, history, policy.SectionSystem), [(PatientPath(nhsNumber), "Summary")]);
    }

    private static ClinicianPage Page(HttpContext http, Caller caller, string title, string main, List<(string, string)> links)
    {
        if (!caller.IsPatient)
        {
            links.Add((ClinicianSession.Path, "Find another patient"));
        }

        return new ClinicianPage(StatusCodes.Status200OK, ClinicianLayout.Render(http, title, main, links));
    }

    // Holds no patient data, so it asks for no sign-in: the pages it leads to do.
    private static ClinicianPage Home(HttpContext http)
    {
        var main = new StringBuilder()
            .Append("<h1>Find a patient</h1>\n")
            .Append("<p>See what matters to a patient: their interpreter and communication needs, beliefs, care and access preferences, in their own words.</p>\n")
            .Append("<form method=\"get\" action=\"").Text(ClinicianLayout.Href(http, ClinicianSession.Path + "/patients")).Append("\">\n")
            .Append("<label for=\"nhs-number\">NHS number</label>\n")
            .Append("<p><input type=\"text\" id=\"nhs-number\" name=\"nhsNumber\" inputmode=\"numeric\" autocomplete=\"off\" spellcheck=\"false\" size=\"14\"></p>\n")
            .Append("<button type=\"submit\">Show summary</button>\n</form>\n");
        return new ClinicianPage(StatusCodes.Status200OK, ClinicianLayout.Render(http, "Find a patient", main.ToString()));
    }

    // The form's GET, turned into the summary's address; the summary checks the number.
    private static IResult Find(HttpContext http, string? nhsNumber)
    {
        var digits = string.Concat((nhsNumber ?? "").Where(c => c is not (' ' or '-')));
        if (digits.Length == 0)
        {
            throw FhirException.BadRequest("Enter the patient's NHS number.");
        }

        http.Response.Headers.Location = http.Request.PathBase + PatientPath(digits);
        return TypedResults.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static string PatientPath(string nhsNumber) => $"{ClinicianSession.Path}/patients/{Uri.EscapeDataString(nhsNumber)}";
}
