using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Measures;

/// <summary>
/// A seeded population whose figures are worked out by hand in <see cref="OutcomeFigureTests"/>, on one service shared
/// by a test class (the tests only read it):
/// <list type="bullet">
/// <item>20 Polish speakers, helped by a community connector on 10 June 2026: practice Y00001, postcode LU1 3LU; interpreter
/// (Polish), large print, vegetarian, prefer a woman.</item>
/// <item>10 English speakers, alone on 10 July: practice Y00002, LU2 7AB; no interpreter, no other format, no diet, no
/// preference of clinician.</item>
/// <item>3 Urdu speakers, alone on 15 July: no practice, LU1 1AA; interpreter (Urdu), halal.</item>
/// </list>
/// </summary>
public sealed class OutcomePopulation : IAsyncLifetime
{
    public const string PeriodStart = "2026-06";
    public const string PeriodEnd = "2026-08";

    public WmttyApp App { get; } = new();

    public async Task InitializeAsync()
    {
        using var clinician = await App.ClientAsync();
        for (var i = 0; i < 20; i++)
        {
            await AddAsync(clinician, "pl", "connector", "2026-06-10T10:00:00Z", "Y00001", "LU1 3LU", Responses.TypicalAnswers());
        }

        for (var i = 0; i < 10; i++)
        {
            await AddAsync(clinician, "en", "patient", "2026-07-10T10:00:00Z", "Y00002", "LU2 7AB", new()
            {
                ["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "en")],
                ["interpreter-needed"] = [Responses.Boolean(false)],
                ["written-format"] = [Responses.Coded(Responses.ServiceSystem, "none")],
                ["diet"] = [Responses.Coded(Responses.ServiceSystem, "none")],
                ["clinician-gender"] = [Responses.Coded(Responses.ServiceSystem, "no-preference")],
            });
        }

        for (var i = 0; i < 3; i++)
        {
            await AddAsync(clinician, "ur", "patient", "2026-07-15T10:00:00Z", null, "LU1 1AA", new()
            {
                ["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "ur")],
                ["interpreter-needed"] = [Responses.Boolean(true)],
                ["interpreter-language"] = [Responses.Coded(PreferenceCodes.Snomed, "204211000000109")],
                ["diet"] = [Responses.Coded(PreferenceCodes.Diet, "halal")],
            });
        }
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>A patient with that practice (ODS code) and home postcode, and their completed response, in that language, helped so, authored then.</summary>
    public static async Task AddAsync(HttpClient client, string language, string helper, string authored, string? practice, string postcode, Dictionary<string, List<JsonObject>> answers)
    {
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = NhsNumbers.Next() }),
            ["address"] = new JsonArray(new JsonObject { ["use"] = "home", ["line"] = new JsonArray("1 High Street"), ["city"] = "Luton", ["postalCode"] = postcode }),
        };
        if (practice is not null)
        {
            patient["generalPractitioner"] = new JsonArray(new JsonObject
            {
                ["type"] = "Organization",
                ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/ods-organization-code", ["value"] = practice },
            });
        }

        var id = (await client.CreateAsync(patient.ToJsonString()))["id"]!.GetValue<string>();
        var response = Responses.Build(id, answers, language: language, authored: authored);
        response["author"] = helper == "connector"
            ? new JsonObject { ["type"] = "PractitionerRole", ["display"] = Wmtty.Fhir.Responses.ResponseAuthors.ConnectorDisplay }
            : new JsonObject { ["reference"] = $"Patient/{id}" };
        await Responses.SubmitAsync(client, response);
    }
}
