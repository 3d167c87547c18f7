using System.Text.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Wmtty.Tests.Infrastructure;
using Wmtty.Tests.Invitations;

namespace Wmtty.Tests.Browser;

/// <summary>
/// A browser test: the real service on a loopback port (Kestrel, its own SQLite file), Debian Chromium
/// through Playwright, an axe-core scan helper, and screenshots kept under <c>artifacts/screenshots</c>
/// (ignored by git) for people to look at.
/// </summary>
[Collection(BrowserCollection.Name)]
public abstract class BrowserTest(BrowserFixture fixture) : IAsyncLifetime
{
    /// <summary>The old, small phone many patients use: 360 by 640 CSS pixels.</summary>
    protected static readonly ViewportSize Phone = new() { Width = 360, Height = 640 };

    private readonly List<IBrowserContext> contexts = [];

    protected WmttyApp App { get; private set; } = null!;

    protected HttpClient Clinician { get; private set; } = null!;

    protected Uri BaseAddress => App.LoopbackAddress;

    public static string ScreenshotFolder => Repository.PathOf("artifacts", "screenshots");

    public virtual async Task InitializeAsync()
    {
        Skip.If(fixture.Unavailable is not null, fixture.Unavailable);
        App = WmttyApp.OnLoopback();
        Clinician = await App.ClientAsync("clinician");
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var context in contexts)
        {
            await context.DisposeAsync();
        }

        Clinician?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>A fresh browser profile (no cookies) on a page of its own.</summary>
    protected async Task<IPage> NewPageAsync(bool javaScript = true, ViewportSize? viewport = null, Dictionary<string, string>? headers = null, string? locale = null)
    {
        var context = await fixture.Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            JavaScriptEnabled = javaScript,
            ViewportSize = viewport ?? Phone,
            ExtraHTTPHeaders = headers,
            Locale = locale ?? "en-GB",
        });
        contexts.Add(context);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return page;
    }

    /// <summary>An invitation link for a new NHS number, as a clinician would send it; the path to open.</summary>
    protected async Task<(string Path, string NhsNumber)> InviteAsync(string? nhsNumber = null)
    {
        nhsNumber ??= NhsNumbers.Next();
        var made = await Invitations.Invitations.CreateAsync(Clinician, nhsNumber);
        return (Invitations.Invitations.PathOf(made.Link), nhsNumber);
    }

    /// <summary>Saves a screenshot as artifacts/screenshots/{name}.png: the whole page, or what fits the window.</summary>
    protected static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = fullPage });
    }

    /// <summary>Runs axe-core on the page for WCAG 2.0, 2.1 and 2.2 A and AA rules, and fails with every violation found.</summary>
    protected static async Task AssertAccessibleAsync(IPage page, string name)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
        });
        var violations = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help}\n    " + string.Join("\n    ", v.Nodes.Select(n => $"{n.Target}: {n.Html}"))).ToList();
        Assert.True(violations.Count == 0, $"{name}: {violations.Count} accessibility violations\n" + string.Join("\n", violations));
        Assert.NotEmpty(result.Passes); // the scan ran and checked something
    }
}
