using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Browser;

/// <summary>Patients answering the questionnaire in a real browser, in their own language, from an invitation link.</summary>
public sealed class PortalJourneyTests(BrowserFixture fixture) : BrowserTest(fixture)
{
    private const string InterpreterPolish = "203901000000102";
    private const string InterpreterUrdu = "204211000000109";

    [SkippableFact]
    public async Task PatientsAnswerInPolishAndInUrduOnRightToLeftPagesAndTheClinicianPageShowsBothInEnglish()
    {
        // Polish, left to right.
        var (polishLink, polishNhs) = await InviteAsync();
        var polish = new PortalSteps(await NewPageAsync(), ScanAndKeep("polish"));
        await polish.OpenAsync(polishLink, "start-en");
        await polish.ChooseLanguageAsync("pl", "start");
        Assert.Equal("pl", await polish.LanguageAsync());
        Assert.Equal("ltr", await polish.DirectionAsync());
        await CompleteAsync(polish, preferred: 1, interpreter: 0, "Chcę rozumieć, co lekarz mówi.");
        Assert.Equal("Dziękujemy", (await polish.HeadingAsync()).Trim());

        // Urdu, right to left on every page once chosen.
        var (urduLink, urduNhs) = await InviteAsync();
        var directions = new List<string>();
        var urdu = new PortalSteps(await NewPageAsync(), async (page, name) =>
        {
            directions.Add(await page.Locator("html").GetAttributeAsync("dir") ?? "none");
            await ScanAndKeep("urdu")(page, name);
        });
        await urdu.OpenAsync(urduLink, "start-en");
        await urdu.ChooseLanguageAsync("ur", "start");
        Assert.Equal("ur", await urdu.LanguageAsync());
        await CompleteAsync(urdu, preferred: 3, interpreter: 2, "میں چاہتا ہوں کہ ڈاکٹر میری بات سنے۔");
        Assert.Equal(["ltr", .. Enumerable.Repeat("rtl", directions.Count - 1)], directions);

        // Right to left for real: a radio button sits to the right of its label.
        await urdu.Page.GotoAsync("/portal/section/1");
        await ScreenshotAsync(urdu.Page, "urdu-section-1-phone", fullPage: false); // as README shows it
        var radio = await urdu.Page.Locator("#q-interpreter-needed-0").BoundingBoxAsync();
        var label = await urdu.Page.Locator("label[for='q-interpreter-needed-0']").BoundingBoxAsync();
        Assert.True(radio!.X > label!.X, $"In Urdu the radio ({radio.X}) should be right of its label ({label.X}).");

        // What the EHR reads.
        var polishLastN = await LastNAsync(polishNhs);
        Assert.Contains(polishLastN, o => o.ToJsonString().Contains(InterpreterPolish, StringComparison.Ordinal));
        Assert.Contains(polishLastN, o => o["valueString"]?.GetValue<string>() == "Chcę rozumieć, co lekarz mówi." && o["language"]?.GetValue<string>() == "pl");
        Assert.All(polishLastN, o => Assert.Equal("Community connector", o["performer"]?[0]?["display"]?.GetValue<string>()));
        Assert.Contains(await LastNAsync(urduNhs), o => o.ToJsonString().Contains(InterpreterUrdu, StringComparison.Ordinal));

        // What the clinician sees: both, in English, the patients' own words as written.
        var clinician = await NewPageAsync(viewport: new ViewportSize { Width = 1280, Height = 900 },
            headers: new() { ["Authorization"] = "Bearer " + await App.TokenAsync("clinician") });
        foreach (var (nhs, language, words, name) in new[]
        {
            (polishNhs, "Polish", "Chcę rozumieć, co lekarz mówi.", "polish"),
            (urduNhs, "Urdu", "میں چاہتا ہوں کہ ڈاکٹر میری بات سنے۔", "urdu"),
        })
        {
            await clinician.GotoAsync($"/clinician/patients/{nhs}");
            Assert.Equal("en", await clinician.Locator("html").GetAttributeAsync("lang"));
            var banner = await clinician.Locator(".interpreter").InnerTextAsync();
            Assert.Contains($"Interpreter needed: {language}", banner);
            var text = await clinician.Locator("main").InnerTextAsync();
            Assert.True(text.IndexOf("Interpreter needed", StringComparison.Ordinal) < text.IndexOf("Communication needs", StringComparison.Ordinal));
            foreach (var english in new[] { "Halal", "A female clinician", "community connector" })
            {
                Assert.Contains(english, text, StringComparison.OrdinalIgnoreCase);
            }

            Assert.Contains(words, text);
            Assert.Contains($"Written in {language}", text);
            await AssertAccessibleAsync(clinician, $"clinician summary ({language})");
            await ScreenshotAsync(clinician, $"clinician-summary-{name}", fullPage: false);

            // One A4 page when printed.
            var pdf = await clinician.PdfAsync(new PagePdfOptions { Format = "A4", PrintBackground = true });
            var pages = System.Text.RegularExpressions.Regex.Matches(System.Text.Encoding.Latin1.GetString(pdf), @"/Type\s*/Page[^s]").Count;
            Assert.True(pages == 1, $"The {language} patient's summary prints on {pages} A4 pages.");
        }

        await clinician.GotoAsync($"/clinician/patients/{urduNhs}/history");
        await AssertAccessibleAsync(clinician, "clinician history");
        await ScreenshotAsync(clinician, "clinician-history-urdu");
    }

    [SkippableFact]
    public async Task APatientWhoLeavesAfterSectionTwoCarriesOnWhereTheyLeftOffBySessionOrByANewLink()
    {
        var (link, nhsNumber) = await InviteAsync();
        var page = await NewPageAsync();
        var portal = new PortalSteps(page, ScanAndKeep("resume"));
        await portal.OpenAsync(link, "start");
        await portal.StartAsync("alone", "section-1");
        await portal.ChooseAsync("preferred-language", 0);
        await portal.AnswerYesNoAsync("interpreter-needed", false);
        await portal.ContinueAsync("section-2");
        await portal.ChooseAsync("diet", 0); // halal
        await portal.LaterAsync("saved");
        Assert.EndsWith("/portal/saved", page.Url);

        // The same browser, later: the same link carries on rather than saying it was used.
        await portal.OpenAsync(link, "start-again");
        Assert.EndsWith("/portal", page.Url);
        await portal.StartAsync("alone", "section-3");
        Assert.EndsWith("/portal/section/3", page.Url);
        await page.GotoAsync("/portal/section/2");
        Assert.True(await page.Locator("#q-diet-0").IsCheckedAsync());

        // Another device, with a new link: the answers are stored, not in the browser.
        var (newLink, _) = await InviteAsync(nhsNumber);
        var other = new PortalSteps(await NewPageAsync(), ScanAndKeep("resume-new-device"));
        await other.OpenAsync(newLink, "start");
        await other.StartAsync("alone", "section-3");
        Assert.EndsWith("/portal/section/3", other.Page.Url);
        Assert.Empty(await LastNAsync(nhsNumber)); // nothing is a preference until it is sent
    }

    [SkippableFact]
    public async Task AReturningPatientSeesTheirAnswersFilledInChangesOneAndTheChangeIsRecorded()
    {
        var (patientId, nhsNumber) = await Responses.CreatePatientAsync(Clinician);
        await Responses.SubmitAsync(Clinician, Responses.Build(patientId, Responses.TypicalAnswers()));
        var before = await LastNAsync(nhsNumber);
        Assert.Contains(before, o => Responses.Key(o).Contains("vegetarian", StringComparison.Ordinal));

        var (link, _) = await InviteAsync(nhsNumber);
        var page = await NewPageAsync();
        var portal = new PortalSteps(page, ScanAndKeep("returning"));
        await portal.OpenAsync(link, "start");
        Assert.Equal(1, await page.Locator(".inset").CountAsync()); // "We have filled in the answers you gave before"
        await portal.StartAsync("alone", "section-1");
        Assert.True(await page.Locator("#q-interpreter-needed-0").IsCheckedAsync()); // prefilled
        await portal.ContinueAsync("section-2");
        Assert.True(await page.Locator("#q-diet-2").IsCheckedAsync()); // vegetarian, as before
        await page.Locator("#q-diet-2").UncheckAsync();
        await portal.ChooseAsync("diet", 3); // vegan instead
        await portal.ContinueAsync("section-3");
        await portal.ContinueAsync("section-4");
        await portal.ContinueAsync("section-5");
        await portal.ContinueAsync("review");
        await portal.SendAsync("done");

        var after = await LastNAsync(nhsNumber);
        Assert.Contains(after, o => Responses.Key(o).Contains("vegan", StringComparison.Ordinal));
        Assert.DoesNotContain(after, o => Responses.Key(o).Contains("vegetarian", StringComparison.Ordinal));
        Assert.Equal(before.Count, after.Count); // one answer changed; everything else carried over
    }

    [SkippableFact]
    public async Task WithJavaScriptOffTheQuestionnaireCanStillBeCompletedAndTheServerWorksOutWhichQuestionsApply()
    {
        var (link, nhsNumber) = await InviteAsync();
        var page = await NewPageAsync(javaScript: false);
        var portal = new PortalSteps(page, async (p, name) => await ScreenshotAsync(p, "no-script-" + name));
        await portal.OpenAsync(link, "start");
        await portal.StartAsync("alone", "section-1");

        // Every question is on the page; the ones that depend on another answer say so.
        Assert.True(await page.Locator("#q-interpreter-language-0").IsVisibleAsync());
        Assert.True(await page.Locator("#q-interpreter-language-condition").IsVisibleAsync());

        // "Another language", left unnamed: the server asks for it, at the top and by the field.
        await portal.ChooseAsync("preferred-language", 10);
        await portal.AnswerYesNoAsync("interpreter-needed", false);
        await portal.ChooseAsync("interpreter-language", 2); // answered, though it does not apply
        await portal.ContinueAsync("section-1-error");
        Assert.Contains("/portal/section/1", page.Url);
        Assert.Equal(1, await page.Locator(".error-summary a[href='#q-preferred-language-other']").CountAsync());
        Assert.True(await page.Locator("#q-preferred-language-other-error").IsVisibleAsync());
        Assert.True(await page.Locator("#q-preferred-language-10").IsCheckedAsync()); // what was sent is kept
        Assert.StartsWith("Error:", await page.TitleAsync());

        await portal.WriteAsync("preferred-language-other", "Tigrinya");
        await portal.ContinueAsync("section-2");
        for (var section = 3; section <= 5; section++)
        {
            await portal.ContinueAsync($"section-{section}");
        }

        await portal.ContinueAsync("review");
        await portal.SendAsync("done");

        var lastn = await LastNAsync(nhsNumber);
        Assert.Contains(lastn, o => o["valueString"]?.GetValue<string>() == "Tigrinya");
        Assert.DoesNotContain(lastn, o => o.ToJsonString().Contains(InterpreterUrdu, StringComparison.Ordinal)); // dropped: no interpreter needed
    }

    // Answers every section: language and interpreter, then a diet, a clinician, an adjustment and the patient's own words.
    private static async Task CompleteAsync(PortalSteps portal, int preferred, int interpreter, string ownWords)
    {
        await portal.StartAsync("connector", "section-1");
        await portal.ChooseAsync("preferred-language", preferred);
        await portal.AnswerYesNoAsync("interpreter-needed", true);
        await portal.ChooseAsync("interpreter-language", interpreter);
        await portal.ChooseAsync("contact-method", 2); // SMS
        await portal.ContinueAsync("section-2");
        await portal.ChooseAsync("religion", 1);
        await portal.ChooseAsync("diet", 0); // halal
        await portal.ContinueAsync("section-3");
        await portal.ChooseAsync("clinician-gender", 0); // a woman
        await portal.AnswerYesNoAsync("chaperone", true);
        await portal.ContinueAsync("section-4");
        await portal.ChooseAsync("reasonable-adjustments", 0);
        await portal.ContinueAsync("section-5");
        await portal.WriteAsync("what-matters-most", ownWords);
        await portal.ContinueAsync("review");
        await portal.SendAsync("done");
    }

    private static Func<IPage, string, Task> ScanAndKeep(string journey) => async (page, name) =>
    {
        await AssertAccessibleAsync(page, $"{journey} {name}");
        await ScreenshotAsync(page, $"{journey}-{name}");
    };

    private Task<List<JsonNode>> LastNAsync(string nhsNumber) =>
        Responses.LastNAsync(Clinician, $"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhsNumber}");
}
