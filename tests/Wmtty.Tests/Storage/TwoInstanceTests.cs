using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Api.Definitions;
using Wmtty.Data.Storage;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;
using FhirModel = Hl7.Fhir.Model;

namespace Wmtty.Tests.Storage;

/// <summary>
/// Two service instances on one SQLite file, started together and writing at the same time: nothing
/// acknowledged is lost and no version is written twice. Each instance has its own services and its
/// own in-process write queue, so only the database keeps them apart, as it must when several API
/// instances share one SQL Server database.
/// </summary>
public sealed class TwoInstanceTests : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly WmttyApp a;
    private readonly WmttyApp b;
    private HttpClient clientA = null!;
    private HttpClient clientB = null!;

    public TwoInstanceTests()
    {
        a = new WmttyApp(dataDirectory: folder);
        b = new WmttyApp(dataDirectory: folder);
    }

    private HttpClient[] Clients => [clientA, clientB];

    /// <summary>Both instances start at once on an empty folder, so their migrations and definition seeding race.</summary>
    public async Task InitializeAsync()
    {
        (clientA, clientB) = await StartTogetherAsync(a, b);
    }

    public async Task DisposeAsync()
    {
        clientA?.Dispose();
        clientB?.Dispose();
        await a.DisposeAsync();
        await b.DisposeAsync();
        Delete(folder);
    }

    [Fact]
    public async Task StartingTogetherOnAnEmptyFileMigratesOnceAndSeedsEachDefinitionOnce()
    {
        await AssertSeededOnceAsync(folder, Clients);

        // More pairs on fresh files. The window in which seeding can race is short: when the seeder looked up
        // and wrote in separate transactions, about one pair in six stored the questionnaire twice.
        for (var round = 0; round < 9; round++)
        {
            var more = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
            try
            {
                await using var x = new WmttyApp(dataDirectory: more);
                await using var y = new WmttyApp(dataDirectory: more);
                var (clientX, clientY) = await StartTogetherAsync(x, y);
                using (clientX)
                using (clientY)
                {
                    await AssertSeededOnceAsync(more, [clientX, clientY]);
                }
            }
            finally
            {
                Delete(more);
            }
        }
    }

    [Fact]
    public async Task ParallelCreatesThroughBothInstancesAreAllStoredAndReadableFromEither()
    {
        const int creates = 40;
        var results = await Task.WhenAll(Enumerable.Range(0, creates).Select(async i =>
        {
            using var response = await Clients[i % 2].PostAsync("/fhir/Patient", F.Json(F.Patient(NhsNumbers.Next(), given: $"Given{i}")));
            var body = await response.Content.ReadAsStringAsync();
            return (i, response.StatusCode, Body: body, Id: response.StatusCode == HttpStatusCode.Created ? JsonNode.Parse(body)!.Text("id") : null);
        }));

        foreach (var result in results)
        {
            Assert.True(result.StatusCode == HttpStatusCode.Created, $"Create {result.i} through instance {"AB"[result.i % 2]} gave {(int)result.StatusCode}: {result.Body}");
        }

        var ids = results.Select(r => r.Id!).ToList();
        Assert.Equal(creates, ids.Distinct().Count());
        foreach (var client in Clients)
        {
            foreach (var result in results)
            {
                using var read = await client.GetAsync($"/fhir/Patient/{result.Id}");
                Assert.True(read.StatusCode == HttpStatusCode.OK, $"Patient/{result.Id} (created as {result.i}) gave {(int)read.StatusCode} on read");
                var patient = await read.BodyAsync();
                Assert.Equal("1", patient["meta"]!.Text("versionId"));
                Assert.Equal($"Given{result.i}", patient["name"]![0]!["given"]![0]!.GetValue<string>());
            }

            Assert.Equal(creates, await CountAsync(client, "/fhir/Patient?_summary=count"));
            var listed = (await AllAsync(client, "/fhir/Patient?_count=200")).Select(p => p.Text("id")).ToList();
            Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        }

        AssertDatabaseIntact();
    }

    [Fact]
    public async Task ParallelUpdatesWithoutIfMatchThroughBothInstancesEachGetTheirOwnVersion()
    {
        const int updates = 20;
        var created = await clientA.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");

        var results = await Task.WhenAll(Enumerable.Range(0, updates).Select(async i =>
        {
            var body = created.DeepClone();
            body["birthDate"] = $"19{50 + i}-01-01";
            using var response = await Clients[i % 2].PutAsync($"/fhir/Patient/{id}", F.Json(body));
            return (i, response.StatusCode, ETag: response.ETag(), Body: await response.Content.ReadAsStringAsync());
        }));

        foreach (var result in results)
        {
            Assert.True(result.StatusCode == HttpStatusCode.OK, $"Update {result.i} through instance {"AB"[result.i % 2]} gave {(int)result.StatusCode}: {result.Body}");
        }

        // Each update was given its own version: 2 to 21, each once.
        var expected = Enumerable.Range(2, updates).Select(v => $"W/\"{v}\"").ToList();
        Assert.Equal(expected, results.Select(r => r.ETag!).OrderBy(e => int.Parse(e[3..^1], System.Globalization.CultureInfo.InvariantCulture)).ToList());

        var final = 1 + updates;
        foreach (var client in Clients)
        {
            using var read = await client.GetAsync($"/fhir/Patient/{id}");
            Assert.Equal($"W/\"{final}\"", read.ETag());

            var history = await AllAsync(client, $"/fhir/Patient/{id}/_history?_count=200");
            var versions = history.Select(h => int.Parse(h["meta"]!.Text("versionId"), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
            Assert.Equal(Enumerable.Range(1, final).ToList(), versions);

            // The birth date each successful update wrote is in exactly one version.
            var written = history.Where(h => h["meta"]!.Text("versionId") != "1").Select(h => h.Text("birthDate")).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(Enumerable.Range(0, updates).Select(i => $"19{50 + i}-01-01").ToList(), written);
        }

        AssertDatabaseIntact();
    }

    [Fact]
    public async Task ParallelUpdatesWithTheSameIfMatchThroughBothInstancesLetExactlyOneWin()
    {
        const int updates = 12;
        var created = await clientB.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");

        var results = await Task.WhenAll(Enumerable.Range(0, updates).Select(async i =>
        {
            var body = created.DeepClone();
            body["birthDate"] = $"19{50 + i}-01-01";
            using var response = await Clients[i % 2].SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(body), ("If-Match", "W/\"1\""));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (i, response.StatusCode, BirthDate: (await response.BodyAsync()).Text("birthDate"));
            }

            await response.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
            return (i, response.StatusCode, BirthDate: (string?)null);
        }));

        var winner = Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(updates - 1, results.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        foreach (var client in Clients)
        {
            using var read = await client.GetAsync($"/fhir/Patient/{id}");
            Assert.Equal("W/\"2\"", read.ETag());
            Assert.Equal(winner.BirthDate, (await read.BodyAsync()).Text("birthDate"));
            var history = await AllAsync(client, $"/fhir/Patient/{id}/_history?_count=200");
            Assert.Equal(["1", "2"], history.Select(h => h["meta"]!.Text("versionId")).Order(StringComparer.Ordinal));
        }

        AssertDatabaseIntact();
    }

    [Fact]
    public async Task ParallelConditionalCreatesThroughBothInstancesMakeOnePatient()
    {
        const int attempts = 16;
        var nhs = NhsNumbers.Next();
        var results = await Task.WhenAll(Enumerable.Range(0, attempts).Select(async i =>
        {
            using var response = await Clients[i % 2].SendAsync(HttpMethod.Post, "/fhir/Patient", F.Json(F.Patient(nhs)),
                ("If-None-Exist", $"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
                $"Conditional create {i} through instance {"AB"[i % 2]} gave {(int)response.StatusCode}: {body}");
            return (response.StatusCode, Id: JsonNode.Parse(body)!.Text("id"));
        }));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(attempts - 1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        var id = Assert.Single(results.Select(r => r.Id).Distinct());
        foreach (var client in Clients)
        {
            Assert.Equal(1, await CountAsync(client, $"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}&_summary=count"));
            Assert.Equal(1, await CountAsync(client, "/fhir/Patient?_summary=count"));
            using var read = await client.GetAsync($"/fhir/Patient/{id}");
            Assert.Equal("W/\"1\"", read.ETag());
        }

        AssertDatabaseIntact();
    }

    [Fact]
    public async Task ParallelResponsesThroughBothInstancesAreAllStoredAndTheLatestAuthoredIsCurrent()
    {
        // Each patient answers four times, with a different diet each time; the responses arrive in a
        // shuffled order through both instances at once, so the latest-authored is rarely the last written.
        string[] diets = ["vegan", "vegetarian", "halal", "kosher"];
        var patients = new List<string>();
        for (var p = 0; p < 5; p++)
        {
            patients.Add((await Responses.CreatePatientAsync(Clients[p % 2])).Id);
        }

        var submissions = patients.SelectMany(patient => diets.Select((diet, day) => (Patient: patient, Diet: diet, Authored: $"2026-10-{day + 1:D2}T09:00:00Z"))).ToList();
        var shuffled = submissions.OrderBy(_ => Random.Shared.Next()).ToList();
        var results = await Task.WhenAll(shuffled.Select(async (s, i) =>
        {
            var answers = Responses.TypicalAnswers();
            answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, s.Diet)];
            using var response = await Clients[i % 2].PostAsync("/fhir/QuestionnaireResponse", F.Json(Responses.Build(s.Patient, answers, authored: s.Authored)));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"Response for Patient/{s.Patient} authored {s.Authored} through instance {"AB"[i % 2]} gave {(int)response.StatusCode}: {body}");
            return (s.Patient, s.Diet, s.Authored, Id: JsonNode.Parse(body)!.Text("id"));
        }));

        foreach (var client in Clients)
        {
            foreach (var patient in patients)
            {
                var acknowledged = results.Where(r => r.Patient == patient).ToList();

                // Every acknowledged response is stored, once.
                var stored = await AllAsync(client, $"/fhir/QuestionnaireResponse?patient={patient}&_count=200");
                Assert.Equal(acknowledged.Select(r => r.Id).Order(StringComparer.Ordinal), stored.Select(r => r.Text("id")).Order(StringComparer.Ordinal));

                // Each response's Observations were extracted once: 12 each, none twice.
                var observations = await AllAsync(client, $"/fhir/Observation?patient={patient}&_count=200");
                Assert.Equal(acknowledged.Count * 12, observations.Count);
                var perResponse = observations
                    .GroupBy(o => o["derivedFrom"]![0]!.Text("reference"))
                    .ToDictionary(g => g.Key, g => g.Select(Responses.Key).ToList());
                Assert.Equal(acknowledged.Select(r => $"QuestionnaireResponse/{r.Id}").Order(StringComparer.Ordinal), perResponse.Keys.Order(StringComparer.Ordinal));
                foreach (var (response, keys) in perResponse)
                {
                    Assert.True(keys.Count == 12 && keys.Distinct().Count() == 12, $"{response} has {keys.Count} Observations, {keys.Distinct().Count()} distinct: {string.Join("; ", keys)}");
                }

                // $lastn gives the latest-authored response's set, whatever order they were written in.
                var latest = acknowledged.MaxBy(r => r.Authored);
                var current = await Responses.LastNAsync(client, $"patient={patient}");
                Assert.Equal(12, current.Select(Responses.Key).Distinct().Count());
                Assert.True(current.Count == 12, $"$lastn for Patient/{patient} gave {current.Count} Observations: {string.Join("; ", current.Select(Responses.Key))}");
                Assert.All(current, o => Assert.Equal($"QuestionnaireResponse/{latest.Id}", o["derivedFrom"]![0]!.Text("reference")));
                Assert.All(current, o => Assert.Equal(latest.Authored, o.Text("effectiveDateTime")));
                var diet = Assert.Single(await Responses.LastNAsync(client, $"patient={patient}&code={Responses.ServiceSystem}|diet"));
                Assert.Equal(latest.Diet, diet["valueCodeableConcept"]!["coding"]![0]!.Text("code"));
            }
        }

        AssertDatabaseIntact();
    }

    // Starts two instances at the same moment; both must come up.
    private static async Task<(HttpClient, HttpClient)> StartTogetherAsync(WmttyApp x, WmttyApp y)
    {
        using var start = new Barrier(2);
        var started = await Task.WhenAll(
            Task.Run(() => { start.SignalAndWait(); return x.ClientAsync(); }),
            Task.Run(() => { start.SignalAndWait(); return y.ClientAsync(); }));
        return (started[0], started[1]);
    }

    private static async Task AssertSeededOnceAsync(string dataFolder, HttpClient[] clients)
    {
        foreach (var client in clients)
        {
            foreach (var definition in DefinitionSet.Default.Build(Responses.CanonicalBase))
            {
                var (url, version) = Canonical(definition);
                var stored = await AllAsync(client, $"/fhir/{definition.TypeName}?url={url}&_count=200");
                var described = string.Join(", ", stored.Select(s => $"{s.Text("id")} version {s["meta"]!.Text("versionId")} ({s.Text("version")}, {s.Text("status")})"));
                Assert.True(stored.Count == 1, $"{definition.TypeName} {url} is stored as {stored.Count} resources: {described}");
                var found = stored[0];
                Assert.Equal((definition.Id, version, "active"), (found.Text("id"), found.Text("version"), found.Text("status")));
                Assert.True(found["meta"]!.Text("versionId") == "1", $"{definition.TypeName} {url} was stored more than once: {described}");
            }
        }

        using var connection = Open(dataFolder);
        var latest = WmttyDatabase.Create(new StorageOptions { DataDirectory = dataFolder }, connectionString: null).LatestSchemaVersion;
        var migrations = connection.Query<long>("SELECT version FROM schema_version ORDER BY version").ToList();
        Assert.Equal(Enumerable.Range(1, latest).Select(v => (long)v), migrations);
        AssertDatabaseIntact(dataFolder);
    }

    private void AssertDatabaseIntact() => AssertDatabaseIntact(folder);

    /// <summary>Straight from the file: no version stored twice, versions 1..n without gaps, one current row per resource and it is the newest.</summary>
    private static void AssertDatabaseIntact(string dataFolder)
    {
        using var connection = Open(dataFolder);
        var duplicated = connection.Query<(string Type, string Id, long Version, long Count)>(
            "SELECT resource_type, resource_id, version, COUNT(*) FROM resource GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
            .Select(r => $"{r.Type}/{r.Id} version {r.Version} stored {r.Count} times").ToList();
        Assert.Empty(duplicated);

        var badCurrent = connection.Query<(string Type, string Id, long Current, long Newest, long NewestCurrent, long Versions)>("""
            SELECT resource_type, resource_id, SUM(is_current), MAX(version), COALESCE(MAX(CASE WHEN is_current = 1 THEN version END), 0), COUNT(*)
            FROM resource GROUP BY 1, 2
            HAVING SUM(is_current) <> 1 OR MAX(version) <> COUNT(*) OR MIN(version) <> 1 OR MAX(CASE WHEN is_current = 1 THEN version END) IS NOT MAX(version)
            """).Select(r => $"{r.Type}/{r.Id}: {r.Current} current rows, {r.Versions} versions up to {r.Newest}, current is {r.NewestCurrent}").ToList();
        Assert.Empty(badCurrent);

        // Index rows belong to current versions only.
        var staleIndex = connection.ExecuteScalar<long>("""
            SELECT (SELECT COUNT(*) FROM token_index t JOIN resource r ON r.resource_key = t.resource_key WHERE r.is_current = 0)
                 + (SELECT COUNT(*) FROM reference_index t JOIN resource r ON r.resource_key = t.resource_key WHERE r.is_current = 0)
                 + (SELECT COUNT(*) FROM date_index t JOIN resource r ON r.resource_key = t.resource_key WHERE r.is_current = 0)
                 + (SELECT COUNT(*) FROM string_index t JOIN resource r ON r.resource_key = t.resource_key WHERE r.is_current = 0)
            """);
        Assert.True(staleIndex == 0, $"{staleIndex} index rows point at versions that are no longer current");
    }

    private static SqliteConnection Open(string dataFolder)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dataFolder, "wmtty.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static async Task<int> CountAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} gave {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["total"]!.GetValue<int>();
    }

    // Every resource of a search or history, following next links.
    private static async Task<List<JsonNode>> AllAsync(HttpClient client, string url)
    {
        var all = new List<JsonNode>();
        for (string? next = url; next is not null;)
        {
            using var response = await client.GetAsync(next);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{next} gave {(int)response.StatusCode}: {body}");
            var bundle = JsonNode.Parse(body)!;
            all.AddRange(bundle.Resources());
            next = bundle.Link("next");
        }

        return all;
    }

    private static (string Url, string Version) Canonical(FhirModel.Resource resource) => resource switch
    {
        FhirModel.Questionnaire q => (q.Url!, q.Version!),
        FhirModel.CodeSystem c => (c.Url!, c.Version!),
        FhirModel.ValueSet v => (v.Url!, v.Version!),
        FhirModel.OperationDefinition o => (o.Url!, o.Version!),
        FhirModel.Measure m => (m.Url!, m.Version!),
        _ => throw new ArgumentException($"{resource.TypeName} is not a published definition."),
    };

    private static void Delete(string dataFolder) => WmttyApp.DeleteDataFolder(dataFolder);
}
