using Microsoft.Playwright;

namespace Wmtty.Tests.Browser;

/// <summary>
/// What a patient does in the portal, by the form's own field ids rather than its words, so one walk
/// serves every language. Each step can scan the page for accessibility and keep a screenshot.
/// </summary>
public sealed class PortalSteps(IPage page, Func<IPage, string, Task>? everyPage = null)
{
    public IPage Page => page;

    public async Task OpenAsync(string path, string name)
    {
        await page.GotoAsync(path);
        await SeenAsync(name);
    }

    public async Task ChooseLanguageAsync(string tag, string name)
    {
        await page.Locator($"nav.languages a[hreflang='{tag}']").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"lang={tag}", StringComparison.Ordinal));
        await SeenAsync(name);
    }

    /// <summary>On the start page: who is helping, then Start (or Continue).</summary>
    public async Task StartAsync(string helper, string name)
    {
        await page.Locator($"input[name='helper'][value='{helper}']").CheckAsync();
        await SubmitAsync("main form button[type=submit]", name);
    }

    public Task ChooseAsync(string linkId, int option) => page.Locator($"#q-{linkId}-{option}").CheckAsync();

    public Task AnswerYesNoAsync(string linkId, bool yes) => page.Locator($"#q-{linkId}-{(yes ? 0 : 1)}").CheckAsync();

    public Task WriteAsync(string linkId, string text) => page.Locator($"#q-{linkId}").FillAsync(text);

    public Task ContinueAsync(string name) => SubmitAsync("button[value='continue']", name);

    public Task LaterAsync(string name) => SubmitAsync("button[value='later']", name);

    public Task SendAsync(string name) => SubmitAsync("main form button[type=submit]", name);

    public Task<string> HeadingAsync() => page.Locator("h1").InnerTextAsync();

    public async Task<string> DirectionAsync() => await page.Locator("html").GetAttributeAsync("dir") ?? "";

    public async Task<string> LanguageAsync() => await page.Locator("html").GetAttributeAsync("lang") ?? "";

    private async Task SubmitAsync(string selector, string name)
    {
        var before = page.Url;
        try
        {
            // Obsolete in Playwright for single-page apps; for plain form posts it is exactly the wait needed, also for a page sent back to the same URL.
#pragma warning disable CS0612
            await page.RunAndWaitForNavigationAsync(() => page.Locator(selector).ClickAsync(), new PageRunAndWaitForNavigationOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
#pragma warning restore CS0612
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"Sending the form on {before} ({name}) did not load a page; now at {page.Url}:\n{await page.ContentAsync()}", timeout);
        }

        await SeenAsync(name);
    }

    private async Task SeenAsync(string name)
    {
        if (everyPage is not null)
        {
            await everyPage(page, name);
        }
    }
}
