using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using static Wmtty.Fhir.Questionnaires.PreferenceCodes;

namespace Wmtty.Bench;

/// <summary>
/// Synthetic patients and completed What Matters responses with varied answers, built as real FHIR
/// JSON the way tests/Wmtty.Tests/Infrastructure/Responses.cs does, and loaded through the HTTP API.
/// </summary>
internal sealed class Generator(string canonicalBase)
{
    public const string FhirJson = "application/fhir+json";

    private readonly Questionnaire definition = WhatMattersQuestionnaire.Build(canonicalBase);
    private readonly string service = ServiceSystem(canonicalBase);
    private readonly string canonical = $"{WhatMattersQuestionnaire.Url(canonicalBase)}|{WhatMattersQuestionnaire.Version}";

    private static readonly string[] Families = ["Kowalska", "Popescu", "Khan", "Begum", "Singh", "Patel", "Ali", "Hassan", "Smith", "Jones", "Williams", "Taylor", "Brown", "Okafor"];
    private static readonly string[] Givens = ["Anna", "Maria", "Aisha", "Mohammed", "Priya", "Harpreet", "Fatima", "John", "Sarah", "David", "Amina", "Ion", "Olivia", "Kwame"];
    private static readonly string[] Words =
    [
        "Being able to talk to a doctor in my own language.",
        "Having my daughter with me when I get bad news.",
        "Not being rushed. I need time to understand.",
        "Keeping my faith practices while I am in hospital.",
        "Staying at home for as long as I can.",
        "Being told the truth, plainly.",
    ];

    /// <summary>Creates <paramref name="count"/> patients, each with one completed response; returns their ids.</summary>
    public async Task<List<string>> SeedAsync(HttpClient client, int count, int parallelism)
    {
        var ids = new string[count];
        var done = 0;
        var failed = 0;
        var started = DateTime.UtcNow;
        using var progress = new Timer(_ => Console.WriteLine($"  seeded {Volatile.Read(ref done)}/{count} patients ({Volatile.Read(ref done) / (DateTime.UtcNow - started).TotalSeconds:F0}/s)"), null, 1000, 1000);

        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            var random = new Random(i);
            try
            {
                var id = await CreatePatientAsync(client, i, random);
                using var posted = await client.PostAsync("/fhir/QuestionnaireResponse", Json(Response(id, random)), ct);
                if (!posted.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"QuestionnaireResponse: {(int)posted.StatusCode} {await posted.Content.ReadAsStringAsync(ct)}");
                }

                ids[i] = id;
                Interlocked.Increment(ref done);
            }
            catch (Exception e) when (Interlocked.Increment(ref failed) <= 3)
            {
                Console.Error.WriteLine($"  seeding patient {i} failed: {e.Message}");
            }
        });

        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        Console.WriteLine($"  seeded {done} patients ({2 * done} resources) in {seconds:F1} s: {done / seconds:F0} patients/s, {2 * done / seconds:F0} resources/s; {failed} failed");
        return [.. ids.Where(id => id is not null)];
    }

    /// <summary>
    /// Writes <paramref name="count"/> patients and one completed response each as FHIR NDJSON, with ids of their
    /// own (bench-p-N, bench-r-N), for the bulk import; the same count gives the same file. Returns the patient ids.
    /// </summary>
    public List<string> WriteNdjson(string path, int count)
    {
        var ids = new List<string>(count);
        var started = DateTime.UtcNow;
        var authoredBase = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var output = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16);
        for (var i = 0; i < count; i++)
        {
            var random = new Random(i);
            var patient = Patient(i, random);
            var id = $"bench-p-{i}";
            patient["id"] = id;
            output.WriteLine(patient.ToJsonString());
            var response = Response(id, random, authoredBase);
            response["id"] = $"bench-r-{i}";
            output.WriteLine(response.ToJsonString());
            ids.Add(id);
            if ((i + 1) % 20_000 == 0)
            {
                Console.WriteLine($"  wrote {i + 1}/{count} patients ({(i + 1) / (DateTime.UtcNow - started).TotalSeconds:F0}/s)");
            }
        }

        return ids;
    }

    private static JsonObject Patient(int index, Random random) => new()
    {
        ["resourceType"] = "Patient",
        ["identifier"] = new JsonArray(new JsonObject { ["system"] = NhsNumber.System, ["value"] = NhsNumberFor(index) }),
        ["name"] = new JsonArray(new JsonObject { ["family"] = Pick(random, Families), ["given"] = new JsonArray(Pick(random, Givens)) }),
        ["birthDate"] = new DateOnly(1930, 1, 1).AddDays(random.Next(33_000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    private async Task<string> CreatePatientAsync(HttpClient client, int index, Random random)
    {
        var patient = Patient(index, random);
        using var created = await client.PostAsync("/fhir/Patient", Json(patient));
        var body = await created.Content.ReadAsStringAsync();
        if (!created.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Patient: {(int)created.StatusCode} {body}");
        }

        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    /// <summary>A valid NHS number beginning with 9 (never issued to a real person), distinct per index up to 10 million.</summary>
    public static string NhsNumberFor(int index)
    {
        for (var body = 900_000_000L + (index * 10L % 100_000_000); ; body++)
        {
            var digits = body.ToString("D9", CultureInfo.InvariantCulture);
            for (var check = 0; check <= 9; check++)
            {
                if (NhsNumber.IsValid(digits + check))
                {
                    return digits + check;
                }
            }
        }
    }

    /// <summary>A completed response for the patient, with answers drawn from <paramref name="random"/>.</summary>
    public JsonObject Response(string patientId, Random random, DateTimeOffset? now = null)
    {
        var (answers, language) = Answers(random);
        return new JsonObject
        {
            ["resourceType"] = "QuestionnaireResponse",
            ["language"] = language,
            ["questionnaire"] = canonical,
            ["status"] = "completed",
            ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
            ["authored"] = (now ?? DateTimeOffset.UtcNow).AddDays(-random.Next(365)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["item"] = ResponseItems.Build(definition.Item, answers, language),
        };
    }

    public static ByteArrayContent Json(JsonNode node) => Bytes(Encoding.UTF8.GetBytes(node.ToJsonString()));

    public static ByteArrayContent Bytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson);
        return content;
    }

    // Varied preferences: about half English speakers, the rest across the offered languages; most
    // non-English speakers need an interpreter in their language; optional questions often skipped.
    private (Dictionary<string, List<JsonObject>> Answers, string Language) Answers(Random r)
    {
        var a = new Dictionary<string, List<JsonObject>>();
        var language = r.NextDouble() < 0.5 ? "en" : Pick(r, Languages.Skip(1).ToArray()).Tag;
        a["preferred-language"] = [Coded(Bcp47, language)];
        var interpreter = language != "en" && r.NextDouble() < 0.7;
        a["interpreter-needed"] = [Boolean(interpreter)];
        if (interpreter)
        {
            var match = Interpreters.FirstOrDefault(i => i.Language == language);
            a["interpreter-language"] = [Coded(Snomed, match.Snomed ?? Pick(r, Interpreters.ToArray()).Snomed)];
        }

        a["contact-method"] = [.. Some(r, ["1", "3", "9", "4", "2"], 1, 3).Select(c => Coded(ContactMethod, c))];
        Maybe(r, 0.3, a, "written-format", () => [r.NextDouble() < 0.5 ? Coded(WrittenFormat, Pick(r, ["11", "12", "13"])) : Coded(Snomed, "796161000000101")]);
        Maybe(r, 0.2, a, "communication-support", () => [.. Some(r, ["lip-reading", "hearing-loop", "carer-helps-communicate"], 1, 2).Select(c => Coded(service, c))]);
        a["religion"] = [Coded(service, Pick(r, ["christian", "muslim", "hindu", "sikh", "jewish", "buddhist", "no-religion", "other-religion", PreferNotToSay]))];
        Maybe(r, 0.35, a, "faith-care-needs", () => [.. Some(r, ["modesty", "prayer", "fasting", "blood-products", "end-of-life-rites"], 1, 3).Select(c => Coded(service, c))]);
        a["diet"] = r.NextDouble() < 0.4
            ? [Coded(service, "none")]
            : [.. Some(r, ["halal", "kosher", "vegetarian", "vegan", "dairy-free", "nut-free", "gluten-free"], 1, 2).Select(c => Coded(Diet, c))];
        a["clinician-gender"] = [r.Next(4) switch { 0 => Coded(Snomed, "314434008"), 1 => Coded(Snomed, "314435009"), 2 => Coded(service, "no-preference"), _ => Coded(service, PreferNotToSay) }];
        a["chaperone"] = [Boolean(r.NextDouble() < 0.4)];
        a["who-to-involve"] = r.NextDouble() < 0.3 ? [Coded(service, "on-my-own")] : [.. Some(r, ["family-present", "friend-present"], 1, 2).Select(c => Coded(service, c))];
        Maybe(r, 0.5, a, "who-may-be-told", () => [.. Some(r, ["tell-family", "tell-carer"], 1, 2).Select(c => Coded(service, c))]);
        Maybe(r, 0.15, a, "reasonable-adjustments", () => [.. Some(r, ["ra-communication-support", "ra-contact-method", "ra-information-format", "ra-care-environment", "ra-additional-needs"], 1, 2).Select(c => Coded(service, c))]);
        Maybe(r, 0.5, a, "appointment-times", () => [.. Some(r, ["mornings", "afternoons", "evenings"], 1, 2).Select(c => Coded(service, c))]);
        Maybe(r, 0.7, a, "what-matters-most", () => [Text(Pick(r, Words))]);

        // Displays and texts in the language answered in, where the questionnaire has it.
        return (a, Translations.Languages.Contains(language) ? language : "en");
    }

    private static void Maybe(Random r, double chance, Dictionary<string, List<JsonObject>> answers, string linkId, Func<List<JsonObject>> answer)
    {
        if (r.NextDouble() < chance)
        {
            answers[linkId] = answer();
        }
    }

    private static IEnumerable<string> Some(Random r, string[] options, int min, int max) =>
        options.OrderBy(_ => r.Next()).Take(r.Next(min, max + 1));

    private static T Pick<T>(Random r, T[] options) => options[r.Next(options.Length)];

    private static JsonObject Coded(string system, string code) => new() { ["valueCoding"] = new JsonObject { ["system"] = system, ["code"] = code } };

    private static JsonObject Boolean(bool value) => new() { ["valueBoolean"] = value };

    private static JsonObject Text(string value) => new() { ["valueString"] = value };
}
