using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Invitations;

/// <summary>Making, reading and cancelling invitation links: who may, what is kept, and what is audited.</summary>
public sealed class InvitationTests : AppTest
{
    [Theory]
    [InlineData("clinician")]
    [InlineData("connector")]
    public async Task CliniciansAndConnectorsCanCreateAnInvitation(string role)
    {
        using var client = await App.ClientAsync(role);
        var nhs = NhsNumbers.Next();
        var before = DateTimeOffset.UtcNow;

        using var response = await client.PostAsJsonAsync("/invitations", new { nhsNumber = nhs });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var json = JsonNode.Parse(body)!;
        var id = json["id"]!.GetValue<string>();
        Assert.Equal($"/invitations/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("pending", json["status"]!.GetValue<string>());
        Assert.Matches("^http://localhost/portal/invitation/[A-Za-z0-9_-]{43}$", json["link"]!.GetValue<string>());
        var expires = DateTimeOffset.Parse(json["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.EndsWith("Z", json["expiresAt"]!.GetValue<string>());
        Assert.InRange(expires, before.AddHours(72).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(72).AddSeconds(1));
        Assert.DoesNotContain(nhs, body);
    }

    [Theory]
    [InlineData("ehr", null)]
    [InlineData("chaplain", null)]
    [InlineData("patient", "9434765919")]
    public async Task CallersWhoMayNotInviteAre403WithAnOperationOutcome(string role, string? nhs)
    {
        using var client = await App.ClientAsync(role, nhs);
        using var response = await client.PostAsJsonAsync("/invitations", new { nhsNumber = NhsNumbers.Next() });
        await response.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, Invitations.Count(App));
    }

    [Fact]
    public async Task WithoutABearerTokenItIs401WithAnOperationOutcome()
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.PostAsJsonAsync("/invitations", new { nhsNumber = NhsNumbers.Next() });
        await response.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{\"nhsNumber\":\"9434765918\"}", HttpStatusCode.UnprocessableEntity, "check digit")]
    [InlineData("{\"nhsNumber\":\"12345\"}", HttpStatusCode.UnprocessableEntity, "10 digits")]
    [InlineData("{}", HttpStatusCode.UnprocessableEntity, "required")]
    [InlineData("{\"nhsNumber\":\"9434765919\",\"validForHours\":0}", HttpStatusCode.UnprocessableEntity, "validForHours")]
    [InlineData("{\"nhsNumber\":\"9434765919\",\"validForHours\":337}", HttpStatusCode.UnprocessableEntity, "validForHours")]
    [InlineData("{\"nhsNumber\":\"9434765919\",\"validForHours\":1.5}", HttpStatusCode.BadRequest, "JSON")]
    [InlineData("{\"nhsNumber\":\"9434765919\",\"validForDays\":3}", HttpStatusCode.BadRequest, "no other fields")]
    [InlineData("{nope", HttpStatusCode.BadRequest, "JSON")]
    [InlineData("null", HttpStatusCode.BadRequest, "JSON")]
    public async Task AnInvalidRequestIsRefusedWithAnOperationOutcomeAndNothingIsStored(string body, HttpStatusCode status, string says)
    {
        using var response = await Client.PostAsync("/invitations", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Contains(says, await response.AssertOutcomeAsync(status));
        Assert.Equal(0, Invitations.Count(App));
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIs415()
    {
        using var response = await Client.PostAsync("/invitations", new StringContent("nhsNumber=9434765919", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task OnlyTheHashOfTheTokenIsStored()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = new List<byte>(File.ReadAllBytes(App.DatabasePath));
        if (File.Exists(App.DatabasePath + "-wal"))
        {
            bytes.AddRange(File.ReadAllBytes(App.DatabasePath + "-wal"));
        }

        var stored = Encoding.Latin1.GetString([.. bytes]);
        Assert.DoesNotContain(made.Token, stored);
        Assert.Contains(Invitations.Sha256Hex(made.Token), stored);
    }

    [Fact]
    public async Task TheCreatorSeesTheStatusWithTheNhsNumberMaskedAndNeverTheLink()
    {
        var nhs = NhsNumbers.Next();
        var made = await Invitations.CreateAsync(Client, nhs);

        using var response = await Client.GetAsync($"/invitations/{made.Id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(body)!;
        Assert.Equal("pending", json["status"]!.GetValue<string>());
        Assert.Equal("*******" + nhs[^3..], json["nhsNumber"]!.GetValue<string>());
        Assert.DoesNotContain(nhs, body);
        Assert.DoesNotContain(made.Token, body);
        Assert.DoesNotContain(Invitations.Sha256Hex(made.Token), body);
    }

    [Fact]
    public async Task AnotherInviterGets404AnAdminSeesItAndOthers403()
    {
        var made = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var connector = await App.ClientAsync("connector");
        using var admin = await App.ClientAsync("admin");
        using var ehr = await App.ClientAsync("ehr");

        using (var response = await connector.GetAsync($"/invitations/{made.Id}"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        using (var response = await connector.DeleteAsync($"/invitations/{made.Id}"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        using (var response = await ehr.GetAsync($"/invitations/{made.Id}"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        }

        using (var response = await admin.GetAsync($"/invitations/{made.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await Client.GetAsync("/invitations/0123456789abcdef0123456789abcdef"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        using (var response = await Client.GetAsync("/invitations/not-an-id"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task RevokingIsIdempotentUnknownIs404AndAUsedLinkCannotBeRevoked()
    {
        var revoked = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using (var response = await Client.DeleteAsync($"/invitations/{revoked.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        using (var response = await Client.DeleteAsync($"/invitations/{revoked.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        using (var response = await Client.GetAsync($"/invitations/{revoked.Id}"))
        {
            Assert.Equal("revoked", (await response.BodyAsync())["status"]!.GetValue<string>());
        }

        using (var response = await Client.DeleteAsync("/invitations/0123456789abcdef0123456789abcdef"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        var used = await Invitations.CreateAsync(Client, NhsNumbers.Next());
        using var browser = Invitations.Browser(App);
        (await browser.GetAsync(Invitations.PathOf(used.Link))).Dispose();
        using (var response = await Client.DeleteAsync($"/invitations/{used.Id}"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.Conflict);
        }

        using (var response = await Client.GetAsync($"/invitations/{used.Id}"))
        {
            Assert.Equal("used", (await response.BodyAsync())["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task TheLinkFollowsTheConfiguredBaseUrl()
    {
        await using var app = new WmttyApp(new() { ["Fhir:BaseUrl"] = "https://wmtty.example.nhs.uk/fhir" });
        using var client = await app.ClientAsync();
        var made = await Invitations.CreateAsync(client, NhsNumbers.Next());
        Assert.StartsWith("https://wmtty.example.nhs.uk/portal/invitation/", made.Link);
    }

    [Fact]
    public async Task CreatingAllowedOrRefusedIsAuditedWithThePatientButNeverTheNhsNumberOrToken()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        var made = await Invitations.CreateAsync(Client, nhs);
        using (var chaplain = await App.ClientAsync("chaplain"))
        using (var refused = await chaplain.PostAsJsonAsync("/invitations", new { nhsNumber = nhs }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var browser = Invitations.Browser(App);
        (await browser.GetAsync(Invitations.PathOf(made.Link))).Dispose();
        (await Client.DeleteAsync($"/invitations/{made.Id}")).Dispose();

        using var admin = await App.ClientAsync("admin");
        using var response = await admin.GetAsync("/fhir/AuditEvent?_count=100");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = JsonNode.Parse(text)!["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        JsonNode Event(string interaction, string status) => Assert.Single(events, e =>
            e["subtype"]![0]!["display"]!.GetValue<string>() == interaction && e["outcomeDesc"]!.GetValue<string>().StartsWith(status, StringComparison.Ordinal));

        var created = Event("invitation-create", "201");
        Assert.Equal("C", created["action"]!.GetValue<string>());
        Assert.Contains($"Patient/{patientId}", created.ToJsonString());
        Assert.Equal("E", Event("invitation-redeem", "303")["action"]!.GetValue<string>());
        Assert.Equal("D", Event("invitation-revoke", "409")["action"]!.GetValue<string>());
        Assert.Contains("Wmtty.Chaplain", Event("invitation-create", "403").ToJsonString());
        Assert.DoesNotContain(nhs, text);
        Assert.DoesNotContain(made.Token, text);
    }

    [Fact]
    public async Task NeitherTheNhsNumberNorTheTokenReachesTheLogs()
    {
        var nhs = NhsNumbers.Next();
        var made = await Invitations.CreateAsync(Client, nhs);
        (await Client.PostAsJsonAsync("/invitations", new { nhsNumber = nhs[..9] + "0" })).Dispose();
        using var browser = Invitations.Browser(App);
        (await browser.GetAsync(Invitations.PathOf(made.Link))).Dispose();
        (await browser.GetAsync(Invitations.PathOf(made.Link))).Dispose();
        (await browser.GetAsync(Invitations.PathOf(made.Link)[..^1] + "x")).Dispose();
        (await Client.GetAsync($"/invitations/{made.Id}")).Dispose();

        var logs = App.Logs.Lines.ToList();
        Assert.Contains(logs, line => line.Contains(made.Id, StringComparison.Ordinal)); // ids are logged
        foreach (var secret in new[] { nhs, nhs[..9] + "0", made.Token, made.Token[..^1], Invitations.Sha256Hex(made.Token) })
        {
            Assert.DoesNotContain(logs, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }
}
