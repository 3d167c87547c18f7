using Microsoft.Playwright;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Browser;

/// <summary>
/// What every portal page must be, whatever the answers: accessible (axe-core, WCAG 2.2 A and AA),
/// usable by keyboard alone, reflowing at 320 CSS pixels with text at 200%, light, and in the
/// patient's language with the choice remembered.
/// </summary>
public sealed class PortalPageTests(BrowserFixture fixture) : BrowserTest(fixture)
{
    [SkippableFact]
    public async Task EveryPortalPageAndErrorStatePassesAnAccessibilityScan()
    {
        var page = await NewPageAsync();
        async Task Scan(string name)
        {
            await AssertAccessibleAsync(page, name);
            await ScreenshotAsync(page, "page-" + name);
        }

        await page.GotoAsync("/portal");
        await Scan("not-signed-in");
        await page.GotoAsync("/portal/sign-in");
        await Scan("development-sign-in");
        await page.Locator("#nhs-number").FillAsync("1234567890");
        await Submit(page, "main form button[type=submit]");
        await Scan("development-sign-in-error");

        var (link, _) = await InviteAsync();
        await page.GotoAsync(link);
        foreach (var language in new[] { "en", "pl", "ro", "ur", "bn", "pa", "gu", "so", "ar" })
        {
            await page.GotoAsync($"/portal?lang={language}");
            await Scan($"start-{language}");
        }

        await page.GotoAsync("/portal?lang=en");
        await Submit(page, "main form button[type=submit]");
        await Submit(page, "button[value='continue']"); // the required questions unanswered
        Assert.Equal(2, await page.Locator(".error-summary li").CountAsync());
        await Scan("section-1-errors");
        await Submit(page, "button[value='later']");
        await Scan("saved");
        await page.GotoAsync("/portal/review");
        await Scan("review");
        await Submit(page, "main form button[type=submit]");
        Assert.True(await page.Locator(".error-summary").IsVisibleAsync());
        await Scan("review-errors");
        await page.GotoAsync("/portal/section/3");
        await Scan("section-3");
        await page.GotoAsync("/portal/section/5");
        await Scan("section-5");
        await Submit(page, "footer button");
        await Scan("signed-out");

        await page.GotoAsync(link);
        await Scan("link-already-used");
        await page.GotoAsync("/portal/invitation/not-a-real-token");
        await Scan("link-not-found");
    }

    [SkippableFact]
    public async Task EveryControlOnASectionCanBeReachedWithTheKeyboard()
    {
        var page = await SignedInAsync(javaScript: false); // with no script, every question is on the page
        await page.GotoAsync("/portal/section/1");

        var controls = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('a[href], input, button, textarea')].filter(e => e.type !== 'hidden').map(e => e.type === 'radio' ? 'radio:' + e.name : (e.id || e.name || e.textContent.trim()))");
        var reached = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < controls.Length + 10; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>(
                "() => { const e = document.activeElement; return e.type === 'radio' ? 'radio:' + e.name : (e.id || e.name || e.textContent.trim()); }");
            reached.Add(focused);
            var outline = await page.EvaluateAsync<string>("() => document.activeElement === document.body ? 'body' : getComputedStyle(document.activeElement).outlineStyle");
            Assert.True(outline != "none", $"{focused} shows no focus outline."); // focus can be seen
        }

        // A radio group is one Tab stop (arrow keys move within it), as in every browser.
        var missed = controls.Distinct().Where(c => !reached.Contains(c)).ToList();
        Assert.True(missed.Count == 0, "Not reached by Tab: " + string.Join(", ", missed));
    }

    [SkippableFact]
    public async Task PagesReflowAt320PixelsWideWithTextAt200Percent()
    {
        var page = await SignedInAsync(viewport: new ViewportSize { Width = 320, Height = 640 });
        foreach (var (path, name) in new[] { ("/portal?lang=pl", "start"), ("/portal/section/1?lang=ur", "section-1"), ("/portal/section/2?lang=ro", "section-2"), ("/portal/review?lang=so", "review") })
        {
            await page.GotoAsync(path);
            await page.EvaluateAsync("() => { document.documentElement.style.fontSize = '200%'; }");
            var (scroll, width) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => window.innerWidth"));
            var wide = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').trim().slice(0, 30))");
            Assert.True(scroll <= width, $"{name}: the page is {scroll}px wide in a {width}px window, so it scrolls sideways: {string.Join("; ", wide)}");
            await ScreenshotAsync(page, $"reflow-{name}");
        }
    }

    [SkippableFact]
    public async Task EachPageWeighsUnder100KilobytesWithNothingFromElsewhere()
    {
        var page = await SignedInAsync();
        var bytes = 0L;
        var hosts = new HashSet<string>();
        var counting = new List<Task>(); // each response's body is read asynchronously: the page's weight is known once all are
        page.Response += (_, response) =>
        {
            lock (counting)
            {
                counting.Add(CountAsync(response));
            }
        };

        async Task CountAsync(IResponse response)
        {
            lock (hosts)
            {
                hosts.Add(new Uri(response.Url).Authority);
            }

            if (response.Status < 300)
            {
                Interlocked.Add(ref bytes, (await response.BodyAsync()).Length);
            }
        }

        foreach (var path in new[] { "/portal?lang=ur", "/portal/section/1", "/portal/section/2", "/portal/section/3", "/portal/section/4", "/portal/section/5", "/portal/review" })
        {
            Interlocked.Exchange(ref bytes, 0);
            await page.Context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = "none" }); // keep the session
            await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
            Task[] pending;
            lock (counting)
            {
                pending = [.. counting];
                counting.Clear();
            }

            await Task.WhenAll(pending);
            Assert.True(bytes is > 1000 and < 100 * 1024, $"{path} weighs {bytes} bytes with its style and script.");
        }

        Assert.Equal([BaseAddress.Authority], hosts);
    }

    [SkippableFact]
    public async Task TheLanguagePickerNamesEachLanguageInItsOwnScriptAndTheChoiceIsRemembered()
    {
        var page = await SignedInAsync();
        await page.GotoAsync("/portal");
        var names = await page.Locator("nav.languages a").AllInnerTextsAsync();
        Assert.Equal(["English", "Polski", "Română", "اردو", "বাংলা", "ਪੰਜਾਬੀ", "ગુજરાતી", "Soomaali", "العربية"], names.Select(n => n.Trim()));
        Assert.Equal("ar", await page.Locator("nav.languages a:has-text('العربية')").GetAttributeAsync("lang"));

        await page.Locator("nav.languages a[hreflang='ar']").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("lang=ar", StringComparison.Ordinal));
        await page.GotoAsync("/portal/section/2"); // no lang in the address: remembered
        Assert.Equal("ar", await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("rtl", await page.Locator("html").GetAttributeAsync("dir"));
        Assert.Equal("true", await page.Locator("nav.languages a[hreflang='ar']").GetAttributeAsync("aria-current"));
    }

    [SkippableFact]
    public async Task WithScriptQuestionsAppearOnlyWhenTheyApplyAndNoneClearsTheOtherChoices()
    {
        var page = await SignedInAsync();
        await page.GotoAsync("/portal/section/1");
        Assert.False(await page.Locator("#q-interpreter-language-0").IsVisibleAsync());
        await page.Locator("#q-interpreter-needed-0").CheckAsync();
        Assert.True(await page.Locator("#q-interpreter-language-0").IsVisibleAsync());
        Assert.False(await page.Locator("#q-interpreter-language-condition").IsVisibleAsync());

        await page.Locator("#q-written-format-0").CheckAsync();
        await page.Locator("#q-written-format-2").CheckAsync();
        await page.Locator("#q-written-format-4").CheckAsync(); // "None"
        Assert.False(await page.Locator("#q-written-format-0").IsCheckedAsync());
        Assert.False(await page.Locator("#q-written-format-2").IsCheckedAsync());
    }

    private async Task<IPage> SignedInAsync(bool javaScript = true, ViewportSize? viewport = null)
    {
        var (link, _) = await InviteAsync();
        var page = await NewPageAsync(javaScript, viewport);
        await page.GotoAsync(link);
        return page;
    }

    private static async Task Submit(IPage page, string selector)
    {
#pragma warning disable CS0612 // see PortalSteps
        await page.RunAndWaitForNavigationAsync(() => page.Locator(selector).ClickAsync(), new PageRunAndWaitForNavigationOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
#pragma warning restore CS0612
    }
}
