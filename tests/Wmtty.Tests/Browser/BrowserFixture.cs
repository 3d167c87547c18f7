using Microsoft.Playwright;

namespace Wmtty.Tests.Browser;

/// <summary>
/// One headless Debian Chromium for the browser tests, driven by Playwright. Where Chromium is not
/// installed (./test.sh installs it when it runs as root), the tests say so and are skipped.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public IBrowser? Browser { get; private set; }

    /// <summary>Why the browser tests cannot run here; null when they can.</summary>
    public string? Unavailable { get; private set; }

    public async Task InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("WMTTY_CHROMIUM") ?? ChromiumPath;
        if (!File.Exists(path))
        {
            Unavailable = $"Chromium is not installed at {path} (apt-get install chromium; ./test.sh does this when run as root).";
            return;
        }

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = path, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
