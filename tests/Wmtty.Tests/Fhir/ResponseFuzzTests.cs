using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Wmtty.Tests.Fhir;

/// <summary>
/// Issue 8: a bounded, seeded fuzz loop. Each case is a valid completed QuestionnaireResponse for a real patient, mutated
/// (<see cref="ResponseMutator"/>) and sent to create, update or <c>$extract</c>. None may get a 5xx. A 4xx carries an
/// OperationOutcome and leaves every stored row but the audit trail's as it was. A 2xx is a genuine accept: nothing the
/// body had to be refused for (<see cref="RefusalOracle"/>), and what was stored is whole: it reads back as answered,
/// the Observations derived from it are what <c>$extract</c> makes of it, and <c>$lastn</c> and the Patient follow.
/// </summary>
/// <remarks>
/// <para>
/// The seed and the cases are fixed (seed 20261125, cases 0 to 399), so every run sends the same requests. A case is made
/// from the seed and its number alone, so any case can be sent again by itself, and a long run can be split. Environment
/// variables choose others: <c>WMTTY_FUZZ_SEED</c>, <c>WMTTY_FUZZ_FIRST</c> (the first case's number) and
/// <c>WMTTY_FUZZ_CASES</c> (how many); <c>WMTTY_FUZZ_LOG</c> names a file to which each case's number, route, status,
/// mutations and first diagnostics are appended.
/// </para>
/// <code>
/// WMTTY_FUZZ_SEED=7 WMTTY_FUZZ_CASES=1000 dotnet test tests/Wmtty.Tests --filter FullyQualifiedName~ResponseFuzz
/// WMTTY_FUZZ_SEED=20261125 WMTTY_FUZZ_FIRST=17 WMTTY_FUZZ_CASES=1 dotnet test tests/Wmtty.Tests --filter FullyQualifiedName~ResponseFuzz
/// </code>
/// <para>
/// A failure names its seed and case, and shows the mutations and the body as made (before the placeholders for ids are
/// filled in). Every stored row is compared before and after each refusal, so a run's time grows with the square of its
/// cases: past a thousand or so, run it in parts with <c>WMTTY_FUZZ_FIRST</c>.
/// </para>
/// </remarks>
public sealed partial class ResponseFuzzTests(ITestOutputHelper output) : AppTest
{
    private const int DefaultSeed = 20261125;
    private const int DefaultCases = 400;

    // Patients with no response yet (but for the one an update replaces); a case that stores anything makes new ones.
    private (string Id, string Nhs) patient;
    private (string Id, string Nhs) other;
    private bool used = true;
    private StoredRowsWatch? rows;

    public override async Task DisposeAsync()
    {
        rows?.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task MutatedResponsesNeverGetA5xxAndAreStoredWholeOrNotAtAll()
    {
        var seed = Setting("WMTTY_FUZZ_SEED") ?? DefaultSeed;
        var first = Setting("WMTTY_FUZZ_FIRST") ?? 0;
        var cases = Setting("WMTTY_FUZZ_CASES") ?? DefaultCases;
        var mutator = new ResponseMutator(seed);
        var failures = new List<string>();
        var tally = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        foreach (var number in Enumerable.Range(first, cases))
        {
            FuzzCase fuzzCase;
            try
            {
                fuzzCase = mutator.Case(number);
            }
            catch (Exception e)
            {
                failures.Add($"Seed {seed}, case {number}: the mutator failed: {e}");
                continue;
            }

            var (status, problem) = await RunAsync(fuzzCase);
            var key = $"{fuzzCase.Route} {status}";
            tally[key] = tally.GetValueOrDefault(key) + 1;
            if (problem is not null)
            {
                failures.Add(Report(seed, fuzzCase, problem));
            }
        }

        output.WriteLine($"Seed {seed}, cases {first} to {first + cases - 1} in {clock.Elapsed.TotalSeconds:F1} s ({rows?.Readings} readings of the stored rows): {string.Join(", ", tally.Select(t => $"{t.Key} x{t.Value}"))}");
        failures.ForEach(output.WriteLine);
        Assert.True(failures.Count == 0, $"{failures.Count} fuzz cases failed (seed {seed}). The first:\n\n{string.Join("\n\n", failures.Take(5))}");
        if (cases >= 100)
        {
            // A loop that only ever refuses, or only ever accepts, is not testing much.
            var accepted = tally.Where(t => t.Key.EndsWith(" 200", StringComparison.Ordinal) || t.Key.EndsWith(" 201", StringComparison.Ordinal)).Sum(t => t.Value);
            Assert.InRange(accepted, cases / 10, cases - (cases / 4));
        }
    }

    private async Task<(int Status, string? Problem)> RunAsync(FuzzCase fuzzCase)
    {
        rows ??= new StoredRowsWatch(App.DatabasePath);
        if (used)
        {
            (patient, other, used) = (await Responses.CreatePatientAsync(Client), await Responses.CreatePatientAsync(Client), false);
        }

        var responseId = "no-such-response";
        if (fuzzCase.Route == FuzzRoute.Update)
        {
            var stored = await Responses.SubmitAsync(Client, Responses.Build(patient.Id, Responses.TypicalAnswers(), authored: "2026-11-01T09:00:00Z"));
            (responseId, used) = (stored["id"]!.GetValue<string>(), true);
        }

        var body = Fill(fuzzCase.Body, responseId);
        var before = rows.Digests();
        using var request = new HttpRequestMessage(fuzzCase.Route is FuzzRoute.Create or FuzzRoute.Extract ? HttpMethod.Post : HttpMethod.Put, fuzzCase.Route switch
        {
            FuzzRoute.Create => "/fhir/QuestionnaireResponse",
            FuzzRoute.Extract => "/fhir/QuestionnaireResponse/$extract",
            _ => $"/fhir/QuestionnaireResponse/{Encoding.UTF8.GetString(Fill(Encoding.UTF8.GetBytes(fuzzCase.Id), responseId))}",
        })
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(Infrastructure.Fhir.JsonType);
        using var answer = await Client.SendAsync(request);
        var status = (int)answer.StatusCode;
        if (Environment.GetEnvironmentVariable("WMTTY_FUZZ_LOG") is { Length: > 0 } log)
        {
            var diagnostics = status >= 300 ? Diagnostics(await answer.Content.ReadAsStringAsync()) : "";
            await File.AppendAllTextAsync(log, $"{fuzzCase.Number}\t{fuzzCase.Route}\t{status}\t{string.Join(" ; ", fuzzCase.Mutations)}\t{diagnostics}\n");
        }

        try
        {
            return (status, await ProblemAsync(fuzzCase, answer, body, responseId, before));
        }
        catch (Exception e)
        {
            return (status, e is XunitException ? e.Message : e.ToString());
        }
    }

    // What is wrong with the answer to a case, or null; an assertion that fails says so too.
    private async Task<string?> ProblemAsync(FuzzCase fuzzCase, HttpResponseMessage answer, byte[] sent, string responseId, IReadOnlyDictionary<string, string> before)
    {
        var status = (int)answer.StatusCode;
        used |= status is >= 200 and < 300 && fuzzCase.Route != FuzzRoute.Extract; // whatever else is wrong, it stored something
        switch (status)
        {
            case >= 500:
                return $"answered {status}: {Shorten(await answer.Content.ReadAsStringAsync(), 2000)}";
            case >= 400:
                await answer.AssertOutcomeAsync(answer.StatusCode);
                AssertUnchanged(before, $"refused with {status}");
                return null;
            case < 200 or >= 300:
                return $"answered {status}";
            case var _ when RefusalOracle.Reason(fuzzCase.Body, fuzzCase.Id, DateTimeOffset.UtcNow) is { } reason:
                return $"answered {status}, but it must be refused: {reason}";
            case var _ when fuzzCase.Route == FuzzRoute.Extract:
                Assert.Equal("transaction", (await answer.BodyAsync())["type"]?.GetValue<string>());
                AssertUnchanged(before, "$extract answered");
                return null;
            default:
                await AssertStoredWholeAsync(fuzzCase, answer, sent, responseId);
                return null;
        }
    }

    private void AssertUnchanged(IReadOnlyDictionary<string, string> before, string what)
    {
        var changed = StoredRows.Differences(before, rows!.Digests());
        Assert.True(changed.Length == 0, $"{what}, yet stored rows changed: {changed}");
    }

    private byte[] Fill(byte[] body, string responseId)
    {
        foreach (var (placeholder, value) in new[] { ("{patientNhs}", patient.Nhs), ("{otherNhs}", other.Nhs), ("{patient}", patient.Id), ("{other}", other.Id), ("{response}", responseId) })
        {
            var from = Encoding.UTF8.GetBytes(placeholder);
            var to = Encoding.UTF8.GetBytes(value);
            for (var at = body.AsSpan().IndexOf(from); at >= 0; at = body.AsSpan().IndexOf(from))
            {
                body = [.. body[..at], .. to, .. body[(at + from.Length)..]];
            }
        }

        return body;
    }

    private static string Diagnostics(string outcome)
    {
        try
        {
            return Shorten(JsonNode.Parse(outcome)?["issue"]?[0]?["diagnostics"]?.GetValue<string>() ?? "", 300).ReplaceLineEndings(" ").Replace('\t', ' ');
        }
        catch (System.Text.Json.JsonException)
        {
            return Shorten(outcome, 300);
        }
    }

    private static int? Setting(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static string Report(int seed, FuzzCase fuzzCase, string problem)
    {
        var body = Encoding.UTF8.GetString(fuzzCase.Body);
        return $"Seed {seed}, case {fuzzCase.Number} (again: WMTTY_FUZZ_SEED={seed} WMTTY_FUZZ_FIRST={fuzzCase.Number} WMTTY_FUZZ_CASES=1), {fuzzCase.Route}, after "
            + $"{string.Join("; ", fuzzCase.Mutations)}:\n{problem}\nBody ({fuzzCase.Body.Length} bytes): {Shorten(body, 1500)}";
    }

    private static string Shorten(string text, int most) => text.Length <= most ? text : $"{text[..most]}... ({text.Length - most} more characters)";
}
