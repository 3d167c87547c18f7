using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Invitations;

/// <summary>Opening an invitation link: once, in time, uncancelled and intact; and what a patient sees when it cannot be opened.</summary>
public sealed class InvitationLinkTests : AppTest
{
    [Fact]
    public async Task OpeningALinkSignsInAndSendsThePatientToThePortal()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var browser = Invitations.Browser(App);

        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
        Assert.Equal("/portal", opened.Headers.Location?.OriginalString);
        Assert.Contains("no-store", opened.Headers.CacheControl?.ToString() ?? "");
        var setCookie = Assert.Single(opened.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/portal", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = Invitations.SessionCookie(opened)!;

        using var portal = await browser.SendAsync(HttpMethod.Get, "/portal", null, ("Cookie", cookie));
        await Invitations.AssertPortalPageAsync(portal, HttpStatusCode.OK, "What matters to you");

        using var without = await browser.GetAsync("/portal");
        await Invitations.AssertPortalPageAsync(without, HttpStatusCode.Unauthorized, "Open the link you were sent");
        Assert.Null(without.Headers.Location);
    }

    [Fact]
    public async Task ASecondUseGetsAKindPageSayingItHasAlreadyBeenUsed()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var browser = Invitations.Browser(App);
        (await browser.GetAsync(Invitations.PathOf(made.Link))).Dispose();

        using var again = await browser.GetAsync(Invitations.PathOf(made.Link));
        var html = await Invitations.AssertPageAsync(again, HttpStatusCode.Gone, "This link has already been used");
        Assert.Contains("for a new link", html);
        Assert.Contains("Nothing you have already told us is lost", html);
        Assert.Null(Invitations.SessionCookie(again));
    }

    [Fact]
    public async Task AnExpiredLinkGetsAKindPageSayingItHasExpired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = WithClock(clock);
        using var client = await app.ClientAsync();
        var made = await Invitations.CreateAsync(client, NhsNumbers.Next(), validForHours: 1);

        clock.Advance(TimeSpan.FromMinutes(61));
        using var browser = Invitations.Browser(app);
        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        await Invitations.AssertPageAsync(opened, HttpStatusCode.Gone, "This link has expired");
        Assert.Null(Invitations.SessionCookie(opened));
        using var status = await client.GetAsync($"/invitations/{made.Id}");
        Assert.Equal("expired", (await status.BodyAsync())["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheSessionEndsTwoHoursAfterTheLinkWasOpenedHoweverItIsUsed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = WithClock(clock);
        using var client = await app.ClientAsync();
        var made = await Invitations.CreateAsync(client, NhsNumbers.Next());
        using var browser = Invitations.Browser(app);
        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        var cookie = Invitations.SessionCookie(opened)!;

        clock.Advance(TimeSpan.FromMinutes(110));
        using (var portal = await browser.SendAsync(HttpMethod.Get, "/portal", null, ("Cookie", cookie)))
        {
            await Invitations.AssertPortalPageAsync(portal, HttpStatusCode.OK, "What matters to you");
            Assert.Null(Invitations.SessionCookie(portal)); // not renewed by use
        }

        clock.Advance(TimeSpan.FromMinutes(11));
        using (var portal = await browser.SendAsync(HttpMethod.Get, "/portal", null, ("Cookie", cookie)))
        {
            await Invitations.AssertPortalPageAsync(portal, HttpStatusCode.Unauthorized, "Open the link you were sent");
        }
    }

    [Fact]
    public async Task ATamperedLinkGetsAKindNotFoundPageThatDoesNotEchoIt()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        var tampered = made.Token[..10] + (made.Token[10] == 'A' ? 'B' : 'A') + made.Token[11..];
        using var browser = Invitations.Browser(App);

        using var opened = await browser.GetAsync($"/portal/invitation/{tampered}");
        var html = await Invitations.AssertPageAsync(opened, HttpStatusCode.NotFound, "We could not open this link");
        Assert.DoesNotContain(tampered, html);

        using var original = await browser.GetAsync(Invitations.PathOf(made.Link)); // the real link still works
        Assert.Equal(HttpStatusCode.SeeOther, original.StatusCode);
    }

    [Fact]
    public async Task ARevokedLinkGetsAKindPageSayingItWasCancelled()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        (await Client.DeleteAsync($"/invitations/{made.Id}")).Dispose();
        using var browser = Invitations.Browser(App);

        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        await Invitations.AssertPageAsync(opened, HttpStatusCode.Gone, "This link has been cancelled");
    }

    [Theory]
    [InlineData("Sec-Purpose", "prefetch")]
    [InlineData("Sec-Purpose", "prefetch;prerender")]
    [InlineData("Purpose", "prefetch")]
    public async Task APrefetchDoesNotUseTheLinkUp(string header, string value)
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var browser = Invitations.Browser(App);

        using var prefetched = await browser.SendAsync(HttpMethod.Get, Invitations.PathOf(made.Link), null, (header, value));
        Assert.Equal(HttpStatusCode.NoContent, prefetched.StatusCode);
        Assert.Null(Invitations.SessionCookie(prefetched));

        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
    }

    [Fact]
    public async Task OfConcurrentOpeningsOfOneLinkExactlyOneWins()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        var browsers = Enumerable.Range(0, 8).Select(_ => Invitations.Browser(App)).ToList();

        var answers = await Task.WhenAll(browsers.Select(b => b.GetAsync(Invitations.PathOf(made.Link))));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.SeeOther);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.SeeOther), a => Assert.Equal(HttpStatusCode.Gone, a.StatusCode));
        Assert.Single(answers, a => Invitations.SessionCookie(a) is not null);
        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        browsers.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task TheInvitationSessionDoesNotAuthorizeTheFhirApiOrInvitations()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var browser = Invitations.Browser(App);
        using var opened = await browser.GetAsync(Invitations.PathOf(made.Link));
        var cookie = Invitations.SessionCookie(opened)!;

        using var fhir = await browser.SendAsync(HttpMethod.Get, "/fhir/Patient", null, ("Cookie", cookie));
        await fhir.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
        using var invitations = await browser.SendAsync(HttpMethod.Get, $"/invitations/{made.Id}", null, ("Cookie", cookie));
        await invitations.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/x")]
    [InlineData("/%E2%9C%93%F0%9F%98%80%C3%A9")]
    [InlineData("/%FF%FE")]
    [InlineData("/..%2F..%2Ffhir%2FPatient")]
    [InlineData("/a/b/c")]
    [InlineData("/%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    [InlineData("/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AnyTokenStringGetsAPageNeverA500(string suffix)
    {
        using var browser = Invitations.Browser(App);
        using var opened = await browser.GetAsync("/portal/invitation" + suffix);
        var html = await Invitations.AssertPageAsync(opened, HttpStatusCode.NotFound, "We could not open this link");
        Assert.DoesNotContain("<script>alert", html);
    }

    [Fact]
    public async Task AVeryLongTokenGetsAPageNeverA500()
    {
        using var browser = Invitations.Browser(App);
        using var opened = await browser.GetAsync("/portal/invitation/" + new string('A', 8000));
        await Invitations.AssertPageAsync(opened, HttpStatusCode.NotFound, "We could not open this link");
    }

    // A NUL in the path is refused by Kestrel itself, before the service sees it: only a real socket shows that.
    [Theory]
    [InlineData("/%00")]
    [InlineData("/abc%00def")]
    [InlineData("/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%00")]
    public async Task ANulInTheLinkIsRefusedNeverA500(string suffix)
    {
        await using var app = WmttyApp.OnLoopback();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = app.LoopbackAddress };
        using var opened = await browser.GetAsync("/portal/invitation" + suffix);
        Assert.InRange((int)opened.StatusCode, 400, 499);
        Assert.DoesNotContain("Exception", await opened.Content.ReadAsStringAsync());
    }

    // Tokens are minted by the same clock, so it starts at the real time and only moves after they are fetched.
    private static WmttyApp WithClock(FakeTimeProvider clock)
    {
        var app = new WmttyApp();
        app.Replacements.Add(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        return app;
    }
}
