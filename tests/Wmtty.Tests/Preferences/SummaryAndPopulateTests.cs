using System.Net;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Serialization;
using Wmtty.Tests.Infrastructure;
using Xunit;
using FhirModel = Hl7.Fhir.Model;

namespace Wmtty.Tests.Preferences;

/// <summary>The clinician's summary document, and $populate, which means updating never starts from nothing.</summary>
public sealed class SummaryAndPopulateTests : AppTest
{
    private async Task<JsonNode> SummaryAsync(string patientId)
    {
        using var response = await Client.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static XElement Xhtml(JsonNode narrative)
    {
        Assert.Equal("generated", narrative["status"]!.GetValue<string>());
        var div = narrative["div"]!.GetValue<string>();
        var element = XElement.Parse(div); // well-formed XML, or this throws
        Assert.Equal(XName.Get("div", "http://www.w3.org/1999/xhtml"), element.Name);
        return element;
    }

    [Fact]
    public async Task TheSummaryIsADocumentWhoseNarrativeLeadsWithTheInterpreterNeed()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text("Rozmowa z lekarzem <po polsku> & spokojnie")];
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, language: "pl"));

        var bundle = await SummaryAsync(patientId);
        Assert.Equal("document", bundle["type"]!.GetValue<string>());
        Assert.NotNull(bundle["identifier"]!["system"]);
        Assert.NotNull(bundle["identifier"]!["value"]);
        Assert.NotNull(bundle["timestamp"]);
        var entries = bundle["entry"]!.AsArray();
        var composition = entries[0]!["resource"]!;
        Assert.Equal("Composition", composition["resourceType"]!.GetValue<string>());
        Assert.EndsWith($"/fhir/Patient/{patientId}", composition["subject"]!["reference"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("final", composition["status"]!.GetValue<string>());

        // The first line a clinician reads names the interpreter need and the language.
        var headline = Xhtml(composition["text"]!);
        var first = headline.Elements().First().Value;
        Assert.Equal("Interpreter needed: Polish.", first);

        var sections = composition["section"]!.AsArray();
        Assert.Equal(PreferenceCodes.Sections.Select(s => s.Display), sections.Select(s => s!["title"]!.GetValue<string>()));
        foreach (var section in sections)
        {
            Xhtml(section!["text"]!);
        }

        var language = Xhtml(sections[0]!["text"]!);
        Assert.StartsWith("Interpreter needed: Yes", language.Descendants().First(e => e.Name.LocalName == "li").Value, StringComparison.Ordinal);
        var ownWords = Xhtml(sections[4]!["text"]!);
        var quote = ownWords.Descendants().Single(e => e.Name.LocalName == "span");
        Assert.Equal("Rozmowa z lekarzem <po polsku> & spokojnie", quote.Value); // escaped, not markup
        Assert.Equal("pl", quote.Attribute("lang")!.Value);
        Assert.Contains("Nothing recorded", Xhtml(sections[3]!["text"]!).Value);

        // Every section entry resolves inside the document; the latest response and the patient are there too.
        var fullUrls = entries.Select(e => e!["fullUrl"]!.GetValue<string>()).ToList();
        // (absolute, as the Composition's own fullUrl is a urn:uuid and relative references would not resolve).
        foreach (var reference in sections.SelectMany(s => s!["entry"]?.AsArray() ?? []).Select(e => e!["reference"]!.GetValue<string>()).Append(composition["subject"]!["reference"]!.GetValue<string>()))
        {
            Assert.Contains(reference, fullUrls);
        }

        Assert.Equal(12, entries.Count(e => e!["resource"]!["resourceType"]!.GetValue<string>() == "Observation"));
        Assert.Contains(entries, e => e!["resource"]!["id"]?.GetValue<string>() == stored["id"]!.GetValue<string>());
        Assert.Contains(entries, e => e!["resource"]!["resourceType"]!.GetValue<string>() == "Patient");
    }

    [Fact]
    public async Task TheNarrativeIsValidFhirXhtml()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text("میرے لیے خاندان سب سے اہم ہے ]]> <script>alert(1)</script> \u202Edesrever")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, language: "ur"));
        var text = (await SummaryAsync(patientId)).ToJsonString();

        // The service's own parser applies FHIR's narrative rules (no scripts, no unknown elements or attributes).
        var parsed = FhirSerialization.ParseJson(System.Text.Encoding.UTF8.GetBytes(text));
        Assert.True(parsed.Errors is null, parsed.Errors?.Issue.FirstOrDefault()?.Diagnostics);
        var bundle = Assert.IsType<FhirModel.Bundle>(parsed.Resource);
        var composition = Assert.IsType<FhirModel.Composition>(bundle.Entry[0].Resource);
        var span = XElement.Parse(composition.Section[4].Text!.Div!).Descendants().Single(e => e.Name.LocalName == "span");
        Assert.Equal(("ur", "rtl"), (span.Attribute("lang")!.Value, span.Attribute("dir")!.Value));
        Assert.DoesNotContain('\u202E', span.Value); // a direction override would reorder what the clinician reads
        Assert.Contains("<script>alert(1)</script>", span.Value); // shown as text, not run
        Assert.DoesNotContain(XElement.Parse(composition.Section[4].Text!.Div!).Descendants(), e => e.Name.LocalName == "script");
    }

    [Fact]
    public async Task APatientWithNoPreferencesGetsAnHonestSummaryAndAnUnknownOneIs404()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var bundle = await SummaryAsync(patientId);
        Assert.Contains("No preferences have been recorded yet", Xhtml(bundle["entry"]![0]!["resource"]!["text"]!).Value);
        using var unknown = await Client.GetAsync("/fhir/Patient/nobody/$wmtty-summary");
        await unknown.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PopulatePrefillsFromCurrentPreferencesAndRoundTripsIntoACompletedResponse()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), language: "ur"));
        var before = (await Responses.LastNAsync(Client, $"patient={patientId}")).Select(Responses.Key).Order().ToList();

        var parameters = new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(new JsonObject
            {
                ["name"] = "subject",
                ["valueReference"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs } },
            }),
        };
        using var populated = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json(parameters));
        var body = await populated.BodyAsync();
        Assert.True(populated.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("Parameters", body["resourceType"]!.GetValue<string>());
        var response = body["parameter"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "response")!["resource"]!.AsObject();
        Assert.Equal("in-progress", response["status"]!.GetValue<string>());
        Assert.Equal(Responses.Canonical, response["questionnaire"]!.GetValue<string>());
        Assert.Equal($"Patient/{patientId}", response["subject"]!["reference"]!.GetValue<string>());

        // The patient changes one thing and completes it: the new set is the old one with that change.
        response["status"] = "completed";
        response["authored"] = "2026-11-22T08:00:00Z";
        var diet = response["item"]!.AsArray().Single(i => i!["linkId"]!.GetValue<string>() == "beliefs-culture")!["item"]!.AsArray()
            .Single(i => i!["linkId"]!.GetValue<string>() == "diet")!;
        diet["answer"] = new JsonArray(Responses.Coded(PreferenceCodes.Diet, "halal"));
        await Responses.SubmitAsync(Client, response);

        var after = (await Responses.LastNAsync(Client, $"patient={patientId}")).Select(Responses.Key).Order().ToList();
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before.Where(k => !k.Contains("|diet =", StringComparison.Ordinal)), after.Where(k => !k.Contains("|diet =", StringComparison.Ordinal)));
        Assert.Contains(after, k => k.Contains("diet|halal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PopulateWithoutAPatientOrForAnUnknownOneIsRefused()
    {
        using var empty = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json("""{"resourceType":"Parameters"}"""));
        await empty.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var unknown = await Client.PostAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}/$populate",
            Infrastructure.Fhir.Json("""{"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/nobody"}}]}"""));
        await unknown.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var notParameters = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json("""{"resourceType":"Patient"}"""));
        await notParameters.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        using var twoWays = await Client.PostAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}/$populate", Infrastructure.Fhir.Json($$$"""
            {"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{patientId}}}"}},
             {"name":"canonical","valueCanonical":"https://elsewhere.example/Questionnaire/q|1"}]}
            """));
        Assert.Contains("once", await twoWays.AssertOutcomeAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task PopulateForAPatientWithNoPreferencesGivesAnEmptyResponseToFillIn()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        using var populated = await Client.PostAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}/$populate",
            Infrastructure.Fhir.Json($$$"""{"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{patientId}}}"}}]}"""));
        Assert.Equal(HttpStatusCode.OK, populated.StatusCode);
        var response = (await populated.BodyAsync())["parameter"]![0]!["resource"]!;
        Assert.Null(response["item"]);
        await Responses.SubmitAsync(Client, response.AsObject()); // in progress: saves, to resume later
    }
}
