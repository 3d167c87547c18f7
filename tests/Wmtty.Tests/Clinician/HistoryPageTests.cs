using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>The history page: each complete response newest first, and what each preference was before.</summary>
public sealed class HistoryPageTests : AppTest
{
    [Fact]
    public async Task AfterAResubmissionTheHistoryListsBothResponsesNewestFirstAndTheEarlierValue()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T10:00:00Z").AuthoredBy(Pages.PatientAuthor(patientId)));
        var changed = Responses.TypicalAnswers();
        changed["diet"] = [Responses.Coded(Wmtty.Fhir.Questionnaires.PreferenceCodes.Diet, "vegan")];
        changed["contact-method"] = [Responses.Coded(Wmtty.Fhir.Questionnaires.PreferenceCodes.ContactMethod, "1")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, changed, authored: "2026-11-20T09:00:00Z").AuthoredBy(Pages.ConnectorAuthor()));

        var summary = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.Contains("Vegan", summary);
        Assert.DoesNotContain("Vegetarian", summary);
        Assert.Contains($"href=\"/clinician/patients/{nhs}/history\"", await Client.PageAsync(Pages.SummaryPath(nhs)));

        var history = Pages.Text(await Client.PageAsync(Pages.HistoryPath(nhs)));
        var newer = history.IndexOf("20 Nov 2026 a community connector, with the patient Completed", StringComparison.Ordinal);
        var older = history.IndexOf("10 Nov 2026 the patient Completed", StringComparison.Ordinal);
        Assert.True(newer >= 0 && older > newer, history);

        Assert.Contains("Dietary requirements Now: Vegan", history);
        Assert.Contains("Before: Vegetarian Updated 10 Nov 2026 by the patient", history);
        Assert.Contains("Preferred contact method Now: Letter", history);
        Assert.Contains("Before: Telephone; SMS Updated 10 Nov 2026 by the patient", history); // the two answers of one response stay together
        Assert.DoesNotContain("Preferred written format", history); // said again unchanged: not an earlier value
    }

    [Fact]
    public async Task APatientWithNothingRecordedHasAnEmptyHistoryNotAnError()
    {
        var (_, nhs) = await Responses.CreatePatientAsync(Client);
        var history = Pages.Text(await Client.PageAsync(Pages.HistoryPath(nhs)));
        Assert.Contains("No completed answers yet.", history);
        Assert.Contains("No earlier answers.", history);
    }
}
