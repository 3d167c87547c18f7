using System.Net;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>
/// The page honours Consent and permissions exactly as the FHIR API does, answers errors with pages, and
/// leaves an audit record of every view.
/// </summary>
public sealed class PageAccessTests : AppTest
{
    private string patientId = "", nhs = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
    }

    // A privacy Consent that withholds one section from one audience, as README describes.
    private static string Withhold(string patientId, string section, string audience) =>
        Access.ConsentTests.Withhold(patientId, section, audience).ToJsonString();

    [Fact]
    public async Task ASectionWithheldFromTheCareTeamIsHiddenOnThePagesAsInTheSummaryDocument()
    {
        // An earlier religion, so the history has one to hide too.
        var earlier = Responses.TypicalAnswers();
        earlier["religion"] = [Responses.Coded(Responses.ServiceSystem, "buddhist")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, earlier, authored: "2026-11-01T10:00:00Z"));
        Assert.Contains("Christian", await Client.PageAsync(Pages.SummaryPath(nhs)));

        await Client.CreateAsync(Withhold(patientId, "beliefs-culture", "care-team"));
        var page = await Client.PageAsync(Pages.SummaryPath(nhs));
        var history = await Client.PageAsync(Pages.HistoryPath(nhs));
        using var summary = await Client.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        var document = await summary.Content.ReadAsStringAsync();
        foreach (var hidden in new[] { "hristian", "uddhist", "egetarian" })
        {
            Assert.DoesNotContain(hidden, page);
            Assert.DoesNotContain(hidden, history);
            Assert.DoesNotContain(hidden, document);
        }

        Assert.Contains("Not shared with you", Pages.Text(page));
        Assert.Contains("Interpreter needed: Polish", page); // the other sections are still shared
        Assert.Contains("Rozmowa z lekarzem po polsku", page);

        // The chaplaincy team is another audience: it still sees the section.
        using var chaplain = await App.ClientAsync("chaplain");
        Assert.Contains("Christian", await chaplain.PageAsync(Pages.SummaryPath(nhs)));
    }

    [Fact]
    public async Task WhenEverySectionIsWithheldThePageDoesNotClaimNothingWasRecorded()
    {
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        foreach (var section in new[] { "language-communication", "beliefs-culture", "care-preferences", "access-adjustments", "what-matters" })
        {
            await Client.CreateAsync(Withhold(patientId, section, "care-team"));
        }

        var text = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.DoesNotContain("No preferences have been recorded", text);
        Assert.Contains("Not shared with you", text);
        Assert.DoesNotContain("Rozmowa", text);
    }

    [Fact]
    public async Task WithholdingLanguageShowsThatTheInterpreterNeedIsNotSharedRatherThanThatThereIsNone()
    {
        await Client.CreateAsync(Withhold(patientId, "language-communication", "chaplaincy"));
        using var chaplain = await App.ClientAsync("chaplain");
        var text = Pages.Text(await chaplain.PageAsync(Pages.SummaryPath(nhs)));
        Assert.StartsWith("Interpreter need not shared with you", text.TrimStart());
        Assert.DoesNotContain("Polish", text);
        Assert.DoesNotContain("No interpreter needed", text);
        Assert.Contains("Interpreter needed: Polish", await Client.PageAsync(Pages.SummaryPath(nhs)));
    }

    [Fact]
    public async Task AChaplainSeesThePagesTheirScopesAllowAndAConnectorIsRefusedWithAPageNamingWhatIsMissing()
    {
        using var chaplain = await App.ClientAsync("chaplain");
        Assert.Contains("Interpreter needed: Polish", await chaplain.PageAsync(Pages.SummaryPath(nhs)));
        await chaplain.PageAsync(Pages.HistoryPath(nhs));

        using var connector = await App.ClientAsync("connector");
        var refused = Pages.Text(await connector.PageAsync(Pages.SummaryPath(nhs), HttpStatusCode.Forbidden));
        Assert.Contains("user/Patient.r", refused);
        Assert.DoesNotContain("Polish", refused);
        await connector.PageAsync(Pages.HistoryPath(nhs), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task APatientSeesTheirOwnPageAndAnyoneElsesIsNotFoundLikeANumberNoOneHas()
    {
        using var patient = await App.ClientAsync("patient", nhs);
        Assert.Contains("Interpreter needed: Polish", await patient.PageAsync(Pages.SummaryPath(nhs)));
        Assert.Contains("Answers given", await patient.PageAsync(Pages.HistoryPath(nhs)));

        var (_, otherNhs) = await Responses.CreatePatientAsync(Client);
        var other = await patient.PageAsync(Pages.SummaryPath(otherNhs), HttpStatusCode.NotFound);
        var nobody = await patient.PageAsync(Pages.SummaryPath(NhsNumbers.Next()), HttpStatusCode.NotFound);
        Assert.Equal(nobody, other);
        await patient.PageAsync(Pages.HistoryPath(otherNhs), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("1234567890", HttpStatusCode.BadRequest)]   // fails the Modulus 11 check
    [InlineData("943476591", HttpStatusCode.BadRequest)]    // nine digits
    [InlineData("%3Cb%3E%01x", HttpStatusCode.BadRequest)]  // markup and a control character
    [InlineData("9434765919/nowhere", HttpStatusCode.NotFound)]
    public async Task BadAddressesGetPagesNeverJsonOrAnError(string nhsNumber, HttpStatusCode status)
    {
        var html = await Client.PageAsync($"/clinician/patients/{nhsNumber}", status);
        Assert.DoesNotContain("<b>", html);
    }

    [Fact]
    public async Task AnUnknownPatientIsAPageAndSoIsMissingSignIn()
    {
        var unknown = Pages.Text(await Client.PageAsync(Pages.SummaryPath(NhsNumbers.Next()), HttpStatusCode.NotFound));
        Assert.Contains("No patient found", unknown);

        using var anonymous = App.Browser();
        using var response = await anonymous.GetAsync(Pages.SummaryPath(nhs));
        var html = await Pages.HtmlAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("/clinician/sign-in?return=%2Fclinician%2Fpatients%2F" + nhs, html); // Development's way in
        Assert.DoesNotContain("Polish", html);

        using var badToken = App.Browser();
        badToken.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token");
        await badToken.PageAsync(Pages.HistoryPath(nhs), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task EveryViewIsAuditedAgainstThePatientAllowedOrRefused()
    {
        await Client.PageAsync(Pages.SummaryPath(nhs));
        await Client.PageAsync(Pages.HistoryPath(nhs));
        using var connector = await App.ClientAsync("connector");
        await connector.PageAsync(Pages.SummaryPath(nhs), HttpStatusCode.Forbidden);

        using var admin = await App.ClientAsync("admin");
        using var response = await admin.GetAsync($"/fhir/AuditEvent?patient=Patient/{patientId}&_count=100");
        var events = (await response.BodyAsync()).Resources().ToList();
        var views = events.Where(e => e["subtype"]![0]!["display"]!.GetValue<string>() is "clinician-summary" or "clinician-history").ToList();
        Assert.Equal(3, views.Count);
        Assert.All(views, v => Assert.Equal("R", v["action"]!.GetValue<string>()));
        Assert.All(views, v => Assert.Contains($"Patient/{patientId}", v["entity"]!.ToJsonString()));
        Assert.Equal(2, views.Count(v => v["outcome"]!.GetValue<string>() == "0" && v["agent"]![0]!["role"]![0]!["text"]!.GetValue<string>() == "Wmtty.Clinician"));
        var refused = Assert.Single(views, v => v["outcome"]!.GetValue<string>() == "4");
        Assert.StartsWith("403", refused["outcomeDesc"]!.GetValue<string>());
        Assert.DoesNotContain(nhs, string.Join("", events.Select(e => e.ToJsonString())));
    }
}
