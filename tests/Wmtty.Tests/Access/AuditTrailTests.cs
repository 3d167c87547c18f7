using Microsoft.Extensions.Logging.Abstractions;
using Wmtty.Api.Access;
using Wmtty.Data.Audit;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Access;

/// <summary>
/// The audit trail's group commit (AuditTrail) on a real SQLite file: records from requests running together share
/// commits, none is lost or stored twice, and each caller's wait ends only once its own record is stored.
/// </summary>
public sealed class AuditTrailTests : IAsyncDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly WmttyDatabase database;

    public AuditTrailTests()
    {
        database = WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null);
        database.Migrate();
    }

    public async ValueTask DisposeAsync()
    {
        await database.DisposeAsync();
        WmttyApp.DeleteDataFolder(folder);
    }

    private static AuditEntry Entry(int i) => new(
        DateTimeOffset.UtcNow, "R", "read", "Patient", $"p{i}", 200, "system", "ehr", "EHR", "client", "Preferences.Read.All", $"request-{i}", [$"p{i}"]);

    private async Task<List<string>> StoredAsync() =>
        [.. (await database.Audit.SearchAsync(new AuditQuery(null, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), long.MaxValue, 10_000), default))
            .Select(e => e.RequestId!)];

    [Fact]
    public async Task RecordsFromConcurrentRequestsShareCommitsAndEachIsStoredOnceBeforeItsCallerGoesOn()
    {
        await using var trail = new AuditTrail(database.Audit, NullLogger<AuditTrail>.Instance);
        await trail.AppendAsync(Entry(0)); // alone, at a quiet time
        Assert.Equal(1, trail.Commits);
        Assert.Equal(["request-0"], await StoredAsync());

        // Three waves of 300 at once: each caller, when its wait ends, finds its own record stored.
        var missing = 0;
        for (var wave = 0; wave < 3; wave++)
        {
            await Task.WhenAll(Enumerable.Range(1 + wave * 300, 300).Select(i => Task.Run(async () =>
            {
                await trail.AppendAsync(Entry(i));
                var found = await database.Audit.SearchAsync(new AuditQuery($"p{i}", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), long.MaxValue, 10), default);
                if (found.Count != 1)
                {
                    Interlocked.Increment(ref missing);
                }
            })));
        }

        Assert.Equal(0, missing);
        var stored = await StoredAsync();
        Assert.Equal(901, stored.Count);
        Assert.Equal(901, stored.Distinct().Count());
        Assert.InRange(trail.Commits, 2, 300); // shared: far fewer commits than records
    }
}
