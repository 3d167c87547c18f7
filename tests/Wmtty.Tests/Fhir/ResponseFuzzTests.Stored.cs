using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>What an accepted case must have stored: the response as sent, and everything that follows from it.</summary>
public sealed partial class ResponseFuzzTests
{
    private static readonly string[] Standing = ["final", "amended", "corrected"];

    private async Task AssertStoredWholeAsync(FuzzCase fuzzCase, HttpResponseMessage answer, byte[] sent, string responseId)
    {
        var created = fuzzCase.Route != FuzzRoute.Update;
        Assert.Equal(created ? HttpStatusCode.Created : HttpStatusCode.OK, answer.StatusCode);
        var stored = await answer.BodyAsync();
        Assert.Equal("QuestionnaireResponse", stored["resourceType"]?.GetValue<string>());
        var id = stored["id"]!.GetValue<string>();
        var version = stored["meta"]!["versionId"]!.GetValue<string>();
        Assert.Equal(created ? "1" : "2", version);
        if (fuzzCase.Route != FuzzRoute.Create)
        {
            Assert.Equal(fuzzCase.Route == FuzzRoute.Update ? responseId : fuzzCase.Id, id);
        }

        if (created)
        {
            Assert.EndsWith($"/QuestionnaireResponse/{id}/_history/1", answer.Headers.Location?.ToString() ?? "no Location");
        }

        using (var read = await Client.GetAsync($"/fhir/QuestionnaireResponse/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.True(JsonNode.DeepEquals(stored, await read.BodyAsync()), "What was answered is not what reads back.");
        }

        AssertSameAsSent(JsonNode.Parse(sent[(sent.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0)..])!, stored);
        var owner = Owner(stored["subject"]!);
        var complete = stored["status"]!.GetValue<string>() is "completed" or "amended";
        var isPreferenceSet = complete && stored["questionnaire"]!.GetValue<string>().Split('|')[0] == WhatMattersQuestionnaire.Url(Responses.CanonicalBase);

        // What $extract makes of the stored response is what was stored beside it.
        List<string> extracted = [];
        using (var extract = await Client.PostAsync($"/fhir/QuestionnaireResponse/{id}/$extract", null))
        {
            if (complete)
            {
                Assert.Equal(HttpStatusCode.OK, extract.StatusCode);
                extracted = Keys((await extract.BodyAsync()).Resources());
            }
            else
            {
                await extract.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
            }
        }

        using var derived = await Client.GetAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{id}&_count=200");
        var observations = (await derived.BodyAsync()).Resources().Where(o => Standing.Contains(o["status"]!.GetValue<string>())).ToList();
        Assert.All(observations, o => Assert.Equal($"Patient/{owner}", o["subject"]!["reference"]!.GetValue<string>()));
        Assert.Equal(extracted, Keys(observations));

        // Each patient's current preferences, and the Patient's own interpreter flag, follow the response: only the owner's come from it.
        foreach (var someone in new[] { patient.Id, other.Id })
        {
            var current = await Responses.LastNAsync(Client, $"patient={someone}");
            Assert.Equal(isPreferenceSet && someone == owner ? extracted : [], Keys(current));
            Assert.All(current, o => Assert.Equal($"QuestionnaireResponse/{id}", o["derivedFrom"]![0]!["reference"]!.GetValue<string>()));
            var interpreter = current.FirstOrDefault(o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>() == PreferenceCodes.InterpreterNeeded)?["valueBoolean"];
            using var read = await Client.GetAsync($"/fhir/Patient/{someone}");
            var flag = (await read.BodyAsync())["extension"]?.AsArray().FirstOrDefault(e => e!["url"]!.GetValue<string>() == PatientPreferences.InterpreterRequiredUrl)?["valueBoolean"];
            if (interpreter is not null || current.Count == 0)
            {
                Assert.True(JsonNode.DeepEquals(interpreter, flag), $"Patient/{someone}'s interpreter flag is {flag?.ToJsonString() ?? "absent"}, but $lastn says {interpreter?.ToJsonString() ?? "nothing"}.");
            }
        }
    }

    // The response as stored is the one sent: the service sets id and meta, and nothing else may be lost or added.
    private static void AssertSameAsSent(JsonNode sent, JsonNode stored)
    {
        var (a, b) = (sent.DeepClone().AsObject(), stored.DeepClone().AsObject());
        foreach (var set in new[] { "id", "meta" })
        {
            a.Remove(set);
            b.Remove(set);
        }

        var difference = Difference(a, b, "$");
        Assert.True(difference is null, $"Stored other than sent: {difference}");
    }

    private static string? Difference(JsonNode? sent, JsonNode? stored, string path)
    {
        switch (sent, stored)
        {
            case (JsonObject s, JsonObject t):
                foreach (var name in s.Select(p => p.Key).Union(t.Select(p => p.Key)))
                {
                    if (Difference(s[name], t[name], $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case (JsonArray s, JsonArray t) when s.Count == t.Count:
                return Enumerable.Range(0, s.Count).Select(i => Difference(s[i], t[i], $"{path}[{i}]")).FirstOrDefault(d => d is not null);
            default:
                return JsonNode.DeepEquals(sent, stored) ? null : $"{path} sent {Brief(sent)}, stored {Brief(stored)}";
        }
    }

    private static string Brief(JsonNode? node) => node is null ? "nothing" : node.ToJsonString() is var text && text.Length > 120 ? text[..120] + "..." : text;

    // The patient the stored subject names, which must be one this test made.
    private string Owner(JsonNode subject)
    {
        var reference = subject["reference"]?.GetValue<string>();
        var named = reference?.Split('/') is { Length: >= 2 } parts ? parts[Array.LastIndexOf(parts, "Patient") + 1] : null;
        named ??= subject["identifier"]?["value"]?.GetValue<string>() switch
        {
            var nhs when nhs == patient.Nhs => patient.Id,
            var nhs when nhs == other.Nhs => other.Id,
            _ => null,
        };
        Assert.True(named == patient.Id || named == other.Id, $"The stored response's subject, {subject.ToJsonString()}, is not a patient of this test.");
        return named!;
    }

    // An Observation as its code and value, sorted, to compare sets made at different times.
    private static List<string> Keys(IEnumerable<JsonNode> observations) =>
        [.. observations.Select(o => $"{o["code"]!["coding"]![0]!["system"]}|{o["code"]!["coding"]![0]!["code"]} = {o.AsObject().FirstOrDefault(p => p.Key.StartsWith("value", StringComparison.Ordinal)).Value?.ToJsonString() ?? "no value"}")
            .Order(StringComparer.Ordinal)];
}
