using System.Net;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>Reads copy the stored bytes out: proved by planting bytes no serializer would write.</summary>
public sealed class StoredJsonTests : AppTest
{
    [Fact]
    public async Task ReadsAndSearchesSendTheStoredBytesWithoutReserializing()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        var planted = $$"""{ "resourceType" : "Patient",   "id" : "{{id}}", "meta" : { "versionId" : "1" } , "active" : true }""";
        using (var connection = new SqliteConnection($"Data Source={App.DatabasePath};Pooling=False"))
        {
            connection.Execute("UPDATE resource SET json = @Json WHERE resource_id = @Id", new { Json = Encoding.UTF8.GetBytes(planted), Id = id });
        }

        using var read = await Client.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(planted, await read.Content.ReadAsStringAsync());

        using var search = await Client.GetAsync($"/fhir/Patient?_id={id}");
        Assert.Contains(planted, await search.Content.ReadAsStringAsync());
    }
}
