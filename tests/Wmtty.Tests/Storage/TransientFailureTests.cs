using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Storage;

/// <summary>
/// A database that stays busy: another process holds SQLite's write lock. The service retries the whole
/// write with backoff; when the lock is let go in time the write succeeds, and when the retries run
/// out the answer is 503 with an OperationOutcome and Retry-After, with nothing stored.
/// </summary>
public sealed class TransientFailureTests : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private WmttyApp app = null!;
    private HttpClient client = null!;

    private string DatabasePath => Path.Combine(folder, "wmtty.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        app = new WmttyApp(new Dictionary<string, string?>
        {
            // SQLite waits one second for a lock before it reports SQLITE_BUSY; then four retries.
            ["ConnectionStrings:Wmtty"] = $"Data Source={DatabasePath};Default Timeout=1",
            ["Storage:Retries"] = "4",
            ["Storage:RetryDelay"] = "00:00:00.100",
        }, dataDirectory: folder);
        client = await app.ClientAsync();
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
        WmttyApp.DeleteDataFolder(folder);
    }

    // Another process's connection, holding the write lock until disposed.
    private SqliteConnection HoldWriteLock()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE;";
        begin.ExecuteNonQuery();
        return connection;
    }

    [Fact]
    public async Task WhenTheDatabaseStaysBusyTheAnswerIs503AndNothingIsStored()
    {
        var nhs = NhsNumbers.Next();
        var watch = Stopwatch.StartNew();
        using (HoldWriteLock())
        {
            using var response = await client.PostAsync("/fhir/Patient", F.Json(F.Patient(nhs)));

            var diagnostics = await response.AssertOutcomeAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Contains("busy", diagnostics);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }

        // Five attempts, each waiting a second for the lock: it was retried, not refused at once.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(4.5), $"Answered after {watch.Elapsed}; the write was not retried.");
        using var search = await client.GetAsync($"/fhir/Patient?identifier={nhs}&_summary=count");
        Assert.Equal(0, (await search.BodyAsync())["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task AWriteThatMeetsABusyDatabaseIsRetriedAndSucceedsOnceItIsFree()
    {
        var nhs = NhsNumbers.Next();
        var holder = HoldWriteLock();
        var post = client.PostAsync("/fhir/Patient", F.Json(F.Patient(nhs)));
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // longer than one attempt waits: only a retry can succeed
        Assert.False(post.IsCompleted);
        holder.Dispose();

        using var response = await post;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var search = await client.GetAsync($"/fhir/Patient?identifier={nhs}&_summary=count");
        Assert.Equal(1, (await search.BodyAsync())["total"]!.GetValue<int>());
    }
}
