using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit.Abstractions;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Storage;

/// <summary>
/// Crash safety: the real service, as a process of its own, is killed with SIGKILL while eight clients submit
/// QuestionnaireResponses, then started again on the same files; three times (up to five, until a kill cuts a submission
/// off), each kill at another, seeded point. After each restart, every submission answered 201 is whole: readable, found
/// by its patient and by derived-from with all its Observations, and in its patient's current preferences. Nothing
/// unanswered is half there: each response in the file has all its Observations, its preference set, its patient's
/// projection row and its audit record, or is absent, and no Observation is without its response. Every request
/// answered before a kill has its audit record, a read's too, which was then only in the audit journal. SQLite's
/// integrity check passes, after the last clean stop as well.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 8;
    private const int Rounds = 3;
    private const int ObservationsPerResponse = 12; // the extractable answers in Responses.TypicalAnswers
    private const string Submission = "QuestionnaireResponse";
    private const string Read = "$lastn";

    // WMTTY_CRASH_SEED replays other kill points.
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("WMTTY_CRASH_SEED"), out var seed) ? seed : 8;

    // The journal is folded only at 2,048 records or at a clean stop, so reads' audit records are in it alone at a kill.
    private static readonly Dictionary<string, string> Settings = new() { ["Storage:AuditJournalFoldEvery"] = "01:00:00" };

    private static readonly Dictionary<string, int> Expected = new() { ["Patient"] = 201, [Submission] = 201, [Read] = 200 };

    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly List<ServiceProcess> services = [];

    /// <summary>
    /// A request a client sent, by the X-Request-ID its audit record keeps, and its answer: no status when none came.
    /// <see cref="AfterKill"/>: it was sent once the kill had begun, so it cannot have been in flight.
    /// </summary>
    private sealed record Sent(int Round, string Kind, string RequestId, string? PatientId = null, string? Authored = null, int? Status = null, string? Id = null, bool AfterKill = false)
    {
        public bool Answered => Status == Expected[Kind];

        public bool CutOff => Status is null && !AfterKill;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var service in services)
        {
            await service.DisposeAsync();
        }

        WmttyApp.DeleteDataFolder(folder);
    }

    [Fact]
    public async Task KilledWhileSubmissionsAreWrittenTheServiceRestartsWithEveryAnsweredOneWholeAndNoneHalfWritten()
    {
        var sent = new ConcurrentQueue<Sent>();
        var service = await StartAsync();

        // A kill can miss every submission: the clients, sharing two cores, may not have sent the next one yet. Then up to two
        // more rounds are run, so that at least one is cut off.
        for (var round = 1; round <= Rounds || (round <= Rounds + 2 && !sent.Any(s => s.Kind == Submission && s.CutOff)); round++)
        {
            var context = $"Round {round} (WMTTY_CRASH_SEED={Seed})";
            var random = new Random(Seed * 100 + round);
            var (killAfter, lag) = (4 + random.Next(28), random.Next(20));
            var exitCode = await LoadUntilKilledAsync(service, round, killAfter, lag, sent);
            var thisRound = sent.Where(s => s.Round == round).ToList();
            Assert.True(exitCode == 137, $"{context}: the service exited with {exitCode}, not by SIGKILL (137). Its output:\n{service.Output}");
            var unexpected = thisRound.Where(s => s.Status is { } status && status != Expected[s.Kind]).ToList();
            Assert.True(unexpected.Count == 0, $"{context}: {string.Join(", ", unexpected.Select(s => $"{s.RequestId} got {s.Status}"))}");
            Assert.True(!thisRound.Any(s => s.Kind == Read && s.Answered) || Directory.GetFiles(folder, "wmtty.db-audit-*.journal").Length > 0,
                $"{context}: reads were answered, but no audit journal was left for the restart to recover");

            var clock = Stopwatch.StartNew();
            service = await StartAsync();
            output.WriteLine($"{context}: killed {lag} ms after answer {killAfter}; {thisRound.Count(s => s.Kind == Submission && s.Answered)} submissions answered, "
                + $"{thisRound.Count(s => s.Kind == Submission && s.CutOff)} cut off ({thisRound.Count(s => s.CutOff)} requests in all); restarted in {clock.Elapsed.TotalSeconds:F1} s");
            using (var client = await service.ClientAsync("ehrwriter"))
            {
                await AssertAnsweredWholeAsync(client, sent, context);
            }

            AssertNothingHalfWritten(sent, context);
        }

        Assert.True(await service.StopAsync() == 0, $"The last service did not stop cleanly. Its output:\n{service.Output}");
        AssertNothingHalfWritten(sent, "After the clean stop");
        Assert.Empty(Directory.GetFiles(folder, "wmtty.db-audit-*.journal")); // every journal stored and deleted
        Assert.True(sent.Any(s => s.Kind == Submission && s.CutOff), "no submission was in flight at any kill");
    }

    private async Task<ServiceProcess> StartAsync()
    {
        var service = await ServiceProcess.StartAsync(folder, Settings);
        services.Add(service);
        return service;
    }

    // Eight clients in a closed loop until the service dies under them. It is killed lag ms after the killAfter-th answered
    // submission, once a submission is in flight (waiting at most a second for one).
    private static async Task<int> LoadUntilKilledAsync(ServiceProcess service, int round, int killAfter, int lag, ConcurrentQueue<Sent> sent)
    {
        using var client = await service.ClientAsync("ehrwriter");
        var load = new Load(client, round, killAfter, sent);
        var clients = Enumerable.Range(0, Clients).Select(number => Task.Run(() => load.ClientAsync(number))).ToArray();
        await Task.WhenAny(load.KillPoint, Task.WhenAll(clients)); // all clients stopped early: a refusal, reported by the caller
        await Task.Delay(lag);
        for (var waited = Stopwatch.StartNew(); !load.SubmissionInFlight && waited.ElapsedMilliseconds < 1000;)
        {
            await Task.Delay(1);
        }

        load.Killing();
        var exitCode = service.Kill();
        await Task.WhenAll(clients);
        return exitCode;
    }

    /// <summary>One round's clients, and what they share with the test: the submissions answered and in flight, and whether the kill has begun.</summary>
    private sealed class Load(HttpClient client, int round, int killAfter, ConcurrentQueue<Sent> sent)
    {
        private readonly TaskCompletionSource killPoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int answered;
        private int inFlight;
        private volatile bool killing;

        public Task KillPoint => killPoint.Task;

        public bool SubmissionInFlight => Volatile.Read(ref inFlight) > 0;

        public void Killing() => killing = true;

        // One client: a new patient, two responses authored on different days, then the patient's current preferences;
        // again, until a request gets no answer or an unexpected one.
        public async Task ClientAsync(int number)
        {
            for (var n = 0; ; n++)
            {
                var prefix = $"crash-{round}-{number}-{n}";
                var patient = await SendAsync(new Sent(round, "Patient", $"{prefix}-patient"), "/fhir/Patient", F.Patient(NhsNumbers.Next()));
                if (!patient.Answered)
                {
                    return;
                }

                foreach (var (day, diet) in new[] { (1, "vegan"), (2, "halal") })
                {
                    var answers = Responses.TypicalAnswers();
                    answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, diet)];
                    var authored = $"2026-10-0{day}T09:00:00Z";
                    var response = Responses.Build(patient.Id!, answers, authored: authored).ToJsonString();
                    Interlocked.Increment(ref inFlight);
                    var submitted = await SendAsync(new Sent(round, Submission, $"{prefix}-response-{day}", patient.Id, authored), "/fhir/QuestionnaireResponse", response);
                    Interlocked.Decrement(ref inFlight);
                    if (!submitted.Answered)
                    {
                        return;
                    }

                    if (Interlocked.Increment(ref answered) == killAfter)
                    {
                        killPoint.TrySetResult();
                    }
                }

                if (!(await SendAsync(new Sent(round, Read, $"{prefix}-lastn", patient.Id), $"/fhir/Observation/$lastn?patient={patient.Id}", null)).Answered)
                {
                    return;
                }
            }
        }

        // Sends one request and records it with its answer: the status and, for a create, the id its Location names. Only
        // the head of the answer is awaited: a 201 is the acknowledgement, whatever happens to the rest.
        private async Task<Sent> SendAsync(Sent request, string url, string? json)
        {
            request = request with { AfterKill = killing };
            using var message = new HttpRequestMessage(json is null ? HttpMethod.Get : HttpMethod.Post, url) { Content = json is null ? null : F.Json(json) };
            message.Headers.Add("X-Request-ID", request.RequestId);
            message.Headers.Add("Prefer", "return=minimal");
            var result = request;
            try
            {
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
                var id = response.Headers.Location?.OriginalString.Split('/') is [.., var type, var created, "_history", _] && type == request.Kind ? created : null;
                result = request with { Status = (int)response.StatusCode, Id = id };
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // No answer: the service died with this request in flight, or before it was sent.
            }

            sent.Enqueue(result);
            return result;
        }
    }

    // Through the service: each answered submission reads, is found by its patient and by derived-from with all its
    // Observations, and its patient's $lastn is the set of their latest-authored response stored, answered or not.
    private static async Task AssertAnsweredWholeAsync(HttpClient client, IEnumerable<Sent> sent, string context)
    {
        foreach (var patient in sent.Where(s => s.Kind == Submission && s.Answered).GroupBy(s => s.PatientId!))
        {
            var stored = await SearchAsync(client, $"/fhir/QuestionnaireResponse?patient={patient.Key}");
            var byPatient = await SearchAsync(client, $"/fhir/Observation?patient={patient.Key}");
            foreach (var submission in patient)
            {
                var what = $"{context}: {submission.RequestId}, answered 201 as QuestionnaireResponse/{submission.Id},";
                using (var read = await client.GetAsync($"/fhir/QuestionnaireResponse/{submission.Id}"))
                {
                    Assert.True(read.StatusCode == HttpStatusCode.OK, $"{what} reads {(int)read.StatusCode}");
                }

                Assert.True(stored.Any(r => r.Text("id") == submission.Id), $"{what} is not found by its patient");
                var derived = (await SearchAsync(client, $"/fhir/Observation?derived-from=QuestionnaireResponse/{submission.Id}")).Select(o => o.Text("id")).Order().ToList();
                Assert.True(derived.Count == ObservationsPerResponse, $"{what} has {derived.Count} Observations derived from it");
                Assert.True(derived.SequenceEqual(byPatient.Where(o => DerivedFrom(o) == submission.Id).Select(o => o.Text("id")).Order()), $"{what} has other Observations found by its patient");
            }

            var latest = stored.MaxBy(r => r.Text("authored"))!.Text("id");
            var current = await Responses.LastNAsync(client, $"patient={patient.Key}");
            Assert.True(current.Count == ObservationsPerResponse && current.All(o => DerivedFrom(o) == latest),
                $"{context}: $lastn for Patient/{patient.Key} gives {current.Count} Observations, from {string.Join(", ", current.Select(DerivedFrom).Distinct())}, not the {ObservationsPerResponse} of {latest}");
        }
    }

    /// <summary>
    /// Straight from the file. Each response stored has its Observations, each derived from it, its preference set, its
    /// patient's projection row and the audit record of its write; each Observation's response is stored; each request
    /// answered has its audit record, and each submission answered, its response; no audit record names a write not stored.
    /// </summary>
    private void AssertNothingHalfWritten(IReadOnlyCollection<Sent> sent, string context)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();
        Assert.Equal("ok", connection.ExecuteScalar<string>("PRAGMA integrity_check"));
        Assert.Empty(connection.Query("PRAGMA foreign_key_check"));

        var responses = connection.Query<(string Id, byte[] Json)>("SELECT resource_id, json FROM resource WHERE resource_type = 'QuestionnaireResponse' AND is_current = 1")
            .ToDictionary(r => r.Id, r => JsonNode.Parse(r.Json)!);
        var observations = connection.Query<(string Id, byte[] Json)>("SELECT resource_id, json FROM resource WHERE resource_type = 'Observation' AND is_current = 1")
            .ToDictionary(o => o.Id, o => DerivedFrom(JsonNode.Parse(o.Json)!));
        var extracted = connection.Query<(string Response, string Observation)>("SELECT response_id, observation_id FROM extracted_observation").ToLookup(e => e.Response, e => e.Observation);
        var sets = connection.Query<string>("SELECT response_id FROM preference_response").ToHashSet();
        var projected = connection.Query<string>("SELECT patient_id FROM preference_current").ToHashSet();
        var audited = connection.Query<(string RequestId, long Status)>("SELECT request_id, status FROM audit_record WHERE request_id LIKE 'crash-%'").ToLookup(a => a.RequestId, a => a.Status);
        var patients = connection.Query<string>("SELECT resource_id FROM resource WHERE resource_type = 'Patient' AND is_current = 1").ToHashSet();

        var submissions = sent.Where(s => s.Kind == Submission).ToDictionary(s => (s.PatientId, s.Authored));
        foreach (var (id, body) in responses)
        {
            var patient = body["subject"]!.Text("reference")["Patient/".Length..];
            var request = submissions[(patient, body.Text("authored"))];
            submissions.Remove((patient, body.Text("authored")));
            var derived = observations.Where(o => o.Value == id).Select(o => o.Key).Order().ToList();
            var what = $"{context}: QuestionnaireResponse/{id} ({request.RequestId}, {(request.Answered ? "answered" : "unanswered")})";
            Assert.True(derived.Count == ObservationsPerResponse, $"{what} has {derived.Count} Observations");
            Assert.True(derived.SequenceEqual(extracted[id].Order()), $"{what} lists {extracted[id].Count()} extracted Observations");
            Assert.True(sets.Contains(id) && projected.Contains(patient), $"{what}: preference set stored {sets.Contains(id)}, projection row {projected.Contains(patient)}");
            Assert.True(audited[request.RequestId].Contains(201), $"{what} has no audit record of its write");
        }

        var auditedOnly = submissions.Values.Where(s => audited[s.RequestId].Contains(201)).Select(s => s.RequestId).ToList();
        Assert.True(auditedOnly.Count == 0, $"{context}: audit records of submissions not stored: {string.Join(", ", auditedOnly)}");
        var orphans = observations.Where(o => o.Value is null || !responses.ContainsKey(o.Value)).Select(o => $"Observation/{o.Key} from {o.Value}").ToList();
        Assert.True(orphans.Count == 0, $"{context}: Observations without their response: {string.Join(", ", orphans)}");
        foreach (var request in sent.Where(s => s.Answered))
        {
            Assert.True(audited[request.RequestId].Contains(Expected[request.Kind]), $"{context}: {request.RequestId}, answered, has no audit record");
            Assert.True(request.Kind != "Patient" || patients.Contains(request.Id!), $"{context}: {request.RequestId}, answered, has no Patient/{request.Id}");
            Assert.True(request.Kind != Submission || responses.ContainsKey(request.Id!), $"{context}: {request.RequestId}, answered, has no QuestionnaireResponse/{request.Id}");
        }
    }

    // Every match of a search; on one page, since a patient here has at most a few dozen resources.
    private static async Task<List<JsonNode>> SearchAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url + "&_count=200");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} gave {(int)response.StatusCode}: {body}");
        var bundle = JsonNode.Parse(body)!;
        Assert.Null(bundle.Link("next"));
        return [.. bundle.Resources()];
    }

    private static string? DerivedFrom(JsonNode observation) =>
        observation["derivedFrom"]?[0]?["reference"]?.GetValue<string>() is { } reference && reference.StartsWith("QuestionnaireResponse/", StringComparison.Ordinal)
            ? reference["QuestionnaireResponse/".Length..]
            : null;
}
