using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

public sealed class FormatAndCapabilityTests : AppTest
{
    [Fact]
    public async Task XmlCanBeSentAndReadBack()
    {
        var nhs = NhsNumbers.Next();
        var xml = $"""
            <Patient xmlns="http://hl7.org/fhir">
              <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="{nhs}"/></identifier>
              <name><family value="Ahmed"/></name>
            </Patient>
            """;
        using var created = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, "application/fhir+xml"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.BodyAsync()).Text("id");

        using var read = await Client.GetAsync($"/fhir/Patient/{id}?_format=xml");
        Assert.Equal("application/fhir+xml", read.Content.Headers.ContentType!.MediaType);
        var text = await read.Content.ReadAsStringAsync();
        Assert.Contains("<family value=\"Ahmed\" />", text);
        Assert.Contains($"<id value=\"{id}\" />", text);
    }

    [Fact]
    public async Task AnXmlBodyWithADoctypeIsRefused()
    {
        const string xml = """<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir"><name><family value="&x;"/></name></Patient>""";
        using var response = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, "application/fhir+xml"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/fhir+json; fhirVersion=4.0")]
    [InlineData("*/*")]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
    public async Task JsonIsServedToClientsThatAcceptIt(string accept)
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{created.Text("id")}");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task PrettyJsonIsIndentedAndStillTheSameResource()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}?_pretty=true");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\n", text);
        Assert.Equal(created.ToJsonString(), JsonNode.Parse(text)!.ToJsonString());
    }

    [Fact]
    public async Task TheCapabilityStatementListsWhatIsRegistered()
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.GetAsync("/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statement = await response.BodyAsync();
        Assert.Equal("CapabilityStatement", statement.Text("resourceType"));
        Assert.Equal("4.0.1", statement.Text("fhirVersion"));
        Assert.Equal("instance", statement.Text("kind"));

        var resources = statement["rest"]![0]!["resource"]!.AsArray().ToDictionary(r => r!.Text("type"), r => r!);
        Assert.Equal(["AuditEvent", "CodeSystem", "Consent", "Measure", "Observation", "OperationDefinition", "Patient", "Questionnaire", "QuestionnaireResponse", "ValueSet"], resources.Keys.Order());
        // The audit trail is read-only: read and search, by patient and date.
        var audit = resources["AuditEvent"];
        Assert.Equal(["read", "search-type"], audit["interaction"]!.AsArray().Select(i => i!.Text("code")).Order());
        Assert.Equal(["date", "patient"], audit["searchParam"]!.AsArray().Select(p => p!.Text("name")).Order());
        foreach (var resource in resources.Where(r => r.Key != "AuditEvent").Select(r => r.Value))
        {
            var interactions = resource["interaction"]!.AsArray().Select(i => i!.Text("code")).ToHashSet();
            Assert.Equal(["create", "read", "vread", "update", "delete", "history-instance", "search-type"], interactions.Order().ToHashSet());
            Assert.Equal("versioned-update", resource.Text("versioning"));
            Assert.Equal("full-support", resource.Text("conditionalRead"));
            Assert.True(resource["conditionalCreate"]!.GetValue<bool>());
            Assert.True(resource["conditionalUpdate"]!.GetValue<bool>());
        }

        var observationParams = resources["Observation"]["searchParam"]!.AsArray().Select(p => p!.Text("name")).ToHashSet();
        Assert.Superset(new HashSet<string> { "_id", "_lastUpdated", "patient", "subject", "category", "code", "date", "status", "derived-from" }, observationParams);
        var patientIdentifier = resources["Patient"]["searchParam"]!.AsArray().Single(p => p!.Text("name") == "identifier")!;
        Assert.Equal("token", patientIdentifier.Text("type"));
        Assert.Equal("http://hl7.org/fhir/SearchParameter/Patient-identifier", patientIdentifier.Text("definition"));
        Assert.Equal("http://localhost/fhir", statement["implementation"]!.Text("url"));
    }

    [Fact]
    public async Task TheCapabilityStatementIsValidFhirThatTheSdkCanRead()
    {
        using var response = await Client.GetAsync("/fhir/metadata");
        var text = await response.Content.ReadAsStringAsync();
        var parsed = Hl7.Fhir.Serialization.PocoDeserializationExtensions.DeserializeResource(Hl7.Fhir.Serialization.FhirJsonDeserializer.STRICT, text);
        Assert.IsType<Hl7.Fhir.Model.CapabilityStatement>(parsed);
    }

    [Fact]
    public async Task HealthEndpointsAnswerWithoutAToken()
    {
        using var anonymous = App.CreateClient();
        using var live = await anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReadinessFailsWhenTheDatabaseIsGone()
    {
        using var anonymous = App.CreateClient();
        (await anonymous.GetAsync("/health/ready")).Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(App.DatabasePath);
        File.Delete(App.DatabasePath + "-wal");
        File.Delete(App.DatabasePath + "-shm");
        Directory.Delete(App.DataDirectory, recursive: true);
        using var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var live = await anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
