using System.Net;
using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Wmtty.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Wmtty.Tests.Fhir;

/// <summary>Firely's own FhirClient, over a real loopback port, drives the whole REST surface.</summary>
public sealed class FhirClientTests : IAsyncLifetime
{
    private WmttyApp app = null!;
    private FhirClient client = null!;

    public async Task InitializeAsync()
    {
        app = WmttyApp.OnLoopback();
        var token = await app.TokenAsync();
        client = new FhirClient(new Uri(app.LoopbackAddress, "/fhir"), new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            VerifyFhirVersion = true,
        });
        client.RequestHeaders!.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
    }

    private static Patient NewPatient(string nhs, string family = "Nowak") => new()
    {
        Identifier = [new Identifier("https://fhir.nhs.uk/Id/nhs-number", nhs)],
        Name = [new HumanName { Family = family, Given = ["Zofia"] }],
        Gender = AdministrativeGender.Female,
    };

    [Fact]
    public async Task CreateReadUpdateHistoryAndDeleteWork()
    {
        var created = await client.CreateAsync(NewPatient(NhsNumbers.Next()));
        Assert.NotNull(created!.Id);
        Assert.Equal("1", created.Meta!.VersionId);

        var read = await client.ReadAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal("Nowak", read!.Name[0].Family);

        read.Name[0].Family = "Nowak-Kowalska";
        var updated = await client.UpdateAsync(read, versionAware: true);
        Assert.Equal("2", updated!.Meta!.VersionId);

        var history = await client.HistoryAsync($"Patient/{created.Id}");
        Assert.Equal(2, history!.Entry.Count);
        Assert.Equal(Bundle.BundleType.History, history.Type);

        var first = await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1");
        Assert.Equal("Nowak", first!.Name[0].Family);

        await client.DeleteAsync(updated);
        var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}"));
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.NotNull(gone.Outcome);
    }

    [Fact]
    public async Task AVersionAwareUpdateWithAStaleVersionIsAConflict()
    {
        var created = (await client.CreateAsync(NewPatient(NhsNumbers.Next())))!;
        var mine = (Patient)created.DeepCopy();
        var theirs = (Patient)created.DeepCopy();

        theirs.Gender = AdministrativeGender.Other;
        await client.UpdateAsync(theirs, versionAware: true);

        mine.Gender = AdministrativeGender.Unknown;
        var conflict = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(mine, versionAware: true));
        Assert.Equal(HttpStatusCode.PreconditionFailed, conflict.Status);

        var current = await client.ReadAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal(AdministrativeGender.Other, current!.Gender);
    }

    [Fact]
    public async Task AConditionalUpdateMatchingSeveralIsRefused()
    {
        await client.CreateAsync(NewPatient(NhsNumbers.Next(), "Sharma"));
        await client.CreateAsync(NewPatient(NhsNumbers.Next(), "Sharma"));
        var conflict = await Assert.ThrowsAsync<FhirOperationException>(() =>
            client.ConditionalUpdateAsync(NewPatient(NhsNumbers.Next(), "Sharma"), new SearchParams().Add("family:exact", "Sharma")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, conflict.Status);

        var nhs = NhsNumbers.Next();
        var once = await client.ConditionalUpdateAsync(NewPatient(nhs, "Single"), new SearchParams().Add("identifier", $"https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
        var twice = await client.ConditionalUpdateAsync(NewPatient(nhs, "Single"), new SearchParams().Add("identifier", $"https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
        Assert.Equal(once!.Id, twice!.Id);
        Assert.Equal("2", twice.Meta!.VersionId);
    }

    [Fact]
    public async Task ConditionalCreateKeepsOnePatient()
    {
        var nhs = NhsNumbers.Next();
        var condition = new SearchParams().Add("identifier", $"https://fhir.nhs.uk/Id/nhs-number|{nhs}");
        var first = await client.ConditionalCreateAsync(NewPatient(nhs), condition);
        var second = await client.ConditionalCreateAsync(NewPatient(nhs), condition);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task SearchPagesToTheEnd()
    {
        var expected = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            expected.Add((await client.CreateAsync(NewPatient(NhsNumbers.Next(), "Kaur")))!.Id!);
        }

        var seen = new List<string>();
        var page = await client.SearchAsync<Patient>(["family=kaur"], pageSize: 5);
        var pages = 0;
        while (page is not null)
        {
            pages++;
            seen.AddRange(page.Entry.Select(e => e.Resource!.Id!));
            page = await client.ContinueAsync(page);
        }

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen.ToHashSet());
        Assert.Equal(12, seen.Count);
    }

    [Fact]
    public async Task SearchByPostWorks()
    {
        var nhs = NhsNumbers.Next();
        var created = await client.CreateAsync(NewPatient(nhs));
        var result = await client.SearchUsingPostAsync<Patient>(new SearchParams().Add("identifier", nhs));
        Assert.Equal(created!.Id, Assert.Single(result!.Entry).Resource!.Id);
    }

    [Fact]
    public async Task TheCapabilityStatementIsReadable()
    {
        var statement = await client.CapabilityStatementAsync();
        Assert.Equal(FHIRVersion.N4_0_1, statement!.FhirVersion);
        Assert.Contains(statement.Rest[0].Resource, r => r.Type == "QuestionnaireResponse");
    }

    [Fact]
    public async Task HeadAnswersLikeGetWithoutABody()
    {
        var created = await client.CreateAsync(NewPatient(NhsNumbers.Next()));
        using var http = new HttpClient { BaseAddress = app.LoopbackAddress };
        http.DefaultRequestHeaders.Authorization = client.RequestHeaders!.Authorization;
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/fhir/Patient/{created!.Id}"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("W/\"1\"", head.Headers.ETag?.ToString());
        Assert.True(head.Content.Headers.ContentLength > 0);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var search = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/fhir/Patient"));
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
    }
}
