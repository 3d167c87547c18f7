using Microsoft.Playwright;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Wmtty.Tests.Measures;

namespace Wmtty.Tests.Browser;

/// <summary>
/// The outcome figures' page in Chromium: signed in as public-health staff through the Development form, charts drawn as
/// SVG images with their titles, descriptions and tables, the same axe scan as the portal, at desktop and phone widths.
/// </summary>
public sealed class MeasurePageTests(BrowserFixture fixture) : BrowserTest(fixture)
{
    private static readonly ViewportSize Desktop = new() { Width = 1280, Height = 900 };

    private async Task SeedAsync()
    {
        for (var i = 0; i < 12; i++)
        {
            await OutcomePopulation.AddAsync(Clinician, "pl", "connector", "2026-09-10T10:00:00Z", "Y00001", "LU1 3LU", Responses.TypicalAnswers());
        }

        for (var i = 0; i < 9; i++)
        {
            await OutcomePopulation.AddAsync(Clinician, "en", "patient", "2026-10-10T10:00:00Z", "Y00002", "LU2 7AB", new()
            {
                ["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "en")],
                ["interpreter-needed"] = [Responses.Boolean(false)],
            });
        }

        for (var i = 0; i < 3; i++)
        {
            await OutcomePopulation.AddAsync(Clinician, "ur", "patient", "2026-11-01T10:00:00Z", null, "LU1 1AA", new()
            {
                ["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "ur")],
                ["interpreter-needed"] = [Responses.Boolean(true)],
                ["interpreter-language"] = [Responses.Coded(PreferenceCodes.Snomed, "204211000000109")],
            });
        }
    }

    [SkippableFact]
    public async Task TheChartsAreAccessibleImagesWithTheirFiguresInTables()
    {
        await SeedAsync();
        var page = await NewPageAsync(viewport: Desktop);
        await page.GotoAsync("/clinician/sign-in?return=" + Uri.EscapeDataString("/clinician/measures?measure=wmtty-interpreter-need&periodStart=2026-06&periodEnd=2026-11"));
        await page.CheckAsync("#role-publichealth");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/clinician/measures?measure=wmtty-interpreter-need*");

        Assert.Equal("Outcome measures - What Matters To You", await page.TitleAsync());
        var charts = page.Locator("svg[role=img]");
        Assert.Equal(3, await charts.CountAsync()); // month by month, by language, by answer
        foreach (var chart in await charts.AllAsync())
        {
            var labelledBy = (await chart.GetAttributeAsync("aria-labelledby"))!.Split(' ');
            Assert.False(string.IsNullOrWhiteSpace(await page.Locator($"#{labelledBy[0]}").TextContentAsync()));
            Assert.Contains("Values", await page.Locator($"#{labelledBy[1]}").TextContentAsync());
        }

        // The trend: 12 in September, 21 in October (rounded to 20), 24 in November (25).
        var trend = await page.Locator("#trend-desc").TextContentAsync();
        Assert.Contains("Sep 2026: 100%", trend);
        Assert.Contains("Nov 2026: 60%", trend); // 15 of 25 need an interpreter (12 + 3)
        var table = await page.Locator("table").First.InnerTextAsync();
        Assert.Contains("Nov 2026", table);
        var language = await page.Locator("#language-desc").TextContentAsync();
        Assert.Contains("Urdu: suppressed", language);
        Assert.Contains("Polish: suppressed", language); // hidden beside the Urdu speakers, or the total would show them
        Assert.DoesNotContain("3LU", await page.ContentAsync());

        await AssertAccessibleAsync(page, "measures-interpreter-need");
        await ScreenshotAsync(page, "measures-interpreter-need");

        await page.GotoAsync("/clinician/measures?measure=wmtty-recorded&periodStart=2026-06&periodEnd=2026-11");
        await AssertAccessibleAsync(page, "measures-recorded");
        await ScreenshotAsync(page, "measures-recorded");
        await page.ScreenshotAsync(new PageScreenshotOptions // README's picture: the trend and the breakdown by language
        {
            Path = Path.Combine(ScreenshotFolder, "measures-recorded-charts.png"),
            FullPage = true,
            Clip = new Clip { X = 0, Y = 420, Width = 1000, Height = 960 },
        });

        // A phone: the charts scale down within the page, and the scan still passes.
        await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await AssertAccessibleAsync(page, "measures-recorded-phone");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways on a phone");
        await ScreenshotAsync(page, "measures-recorded-phone");
    }

    [SkippableFact]
    public async Task RefusalsArePagesThatPassTheScanToo()
    {
        var page = await NewPageAsync(viewport: Desktop);
        await page.GotoAsync("/clinician/measures");
        await AssertAccessibleAsync(page, "measures-sign-in");
        await page.GotoAsync("/clinician/sign-in?return=%2Fclinician%2Fmeasures");
        await page.CheckAsync("#role-connector");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("Wmtty.PublicHealth", await page.Locator("main").InnerTextAsync());
        await AssertAccessibleAsync(page, "measures-refused");
    }
}
