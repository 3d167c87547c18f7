using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

public sealed class PagingLimitTests : AppTest
{
    [Fact]
    public async Task APageStopsAtAFewMegabytesAndTheNextLinkCarriesOn()
    {
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var patient = JsonNode.Parse(F.Patient(NhsNumbers.Next(), family: "Heavy"))!;
            patient["identifier"] = new JsonArray(Enumerable.Range(0, 18_000).Select(n => (JsonNode)new JsonObject { ["system"] = "urn:bulk", ["value"] = $"v{i}-{n:D6}" }).ToArray());
            ids.Add((await Client.CreateAsync(patient.ToJsonString())).Text("id"));
        }

        var seen = new List<string>();
        var pages = 0;
        string? next = "/fhir/Patient?family=heavy&_count=200&_format=xml";
        while (next is not null)
        {
            using var response = await Client.GetAsync(next.Replace("_format=xml", "_format=json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Content.Headers.ContentLength < 6 * 1024 * 1024, $"page of {response.Content.Headers.ContentLength} bytes");
            var bundle = await response.BodyAsync();
            seen.AddRange(bundle.Resources().Select(r => r.Text("id")));
            next = bundle.Link("next");
            pages++;
        }

        Assert.True(pages >= 2, $"{pages} pages");
        Assert.Equal(ids, seen);
    }
}
