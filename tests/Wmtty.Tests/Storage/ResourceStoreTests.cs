using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Data.Storage;

namespace Wmtty.Tests.Storage;

/// <summary>The store on a real SQLite file: versions, the current flag, index rows and transactions.</summary>
public sealed class ResourceStoreTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly IResourceStore store;

    public ResourceStoreTests()
    {
        var database = WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null);
        database.Migrate();
        store = database.Resources;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static NewVersion Version(string id, int version, string code)
    {
        var index = new ResourceIndex();
        index.Tokens.Add(new TokenRow("code", "http://loinc.org", code));
        index.Dates.Add(new DateRow("date", 1000, 1999));
        index.Strings.Add(new StringRow("name", "khan", "Khan"));
        index.References.Add(new ReferenceRow("subject", "Patient", "p1", null, null));
        return new NewVersion("Observation", id, version, DateTimeOffset.UtcNow, version == 1 ? VersionChange.Created : VersionChange.Updated, "{\"resourceType\":\"Observation\"}"u8.ToArray(), index);
    }

    private Task WriteAsync(NewVersion version) => store.WriteAsync(async (session, _) =>
    {
        var current = await session.GetCurrentAsync(version.Type, version.Id);
        await session.WriteAsync(version, current);
        return 0;
    }, CancellationToken.None);

    [Fact]
    public async Task EveryVersionIsKeptAndOnlyTheLatestIsCurrent()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await WriteAsync(Version("o1", 2, "b"));
        await WriteAsync(Version("o1", 3, "c"));

        using var connection = Open();
        var rows = connection.Query<(long Version, long IsCurrent)>("SELECT version, is_current FROM resource WHERE resource_id = 'o1' ORDER BY version").ToList();
        Assert.Equal([(1L, 0L), (2L, 0L), (3L, 1L)], rows);
        Assert.Equal(3, (await store.ReadAsync("Observation", "o1", default))!.Version);
        Assert.Equal(2, (await store.ReadVersionAsync("Observation", "o1", 2, default))!.Version);
    }

    [Fact]
    public async Task IndexRowsBelongToTheCurrentVersionOnly()
    {
        await WriteAsync(Version("o1", 1, "old-code"));
        await WriteAsync(Version("o1", 2, "new-code"));

        var old = await store.SearchAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "old-code")), 10, default);
        var current = await store.SearchAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "new-code")), 10, default);
        Assert.Empty(old);
        Assert.Equal("o1", Assert.Single(current).Id);

        using var connection = Open();
        foreach (var table in new[] { "token_index", "reference_index", "date_index", "string_index" })
        {
            Assert.Equal(1, connection.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table}"));
        }
    }

    [Fact]
    public async Task ADeleteRemovesTheIndexRowsAndKeepsTheVersions()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await WriteAsync(NewVersion.Deletion("Observation", "o1", 2, DateTimeOffset.UtcNow, compartment: null));

        Assert.Empty(await store.SearchAsync(new SearchQuery("Observation"), 10, default));
        using var connection = Open();
        Assert.Equal(0, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM token_index"));
        Assert.Equal(2, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM resource"));
        var current = await store.ReadAsync("Observation", "o1", default);
        Assert.True(current!.IsDeleted);
        Assert.Null(current.Json);
    }

    [Fact]
    public async Task TheSameVersionCannotBeWrittenTwice()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteAsync(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 1, "b"), replacing: null);
            return 0;
        }, default));
    }

    [Fact]
    public async Task RetiringAVersionThatIsNoLongerCurrentIsAConflict()
    {
        await WriteAsync(Version("o1", 1, "a"));
        var stale = await store.WriteAsync((session, _) => session.GetCurrentAsync("Observation", "o1"), default);
        await WriteAsync(Version("o1", 2, "b"));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteAsync(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 3, "c"), stale);
            return 0;
        }, default));
        Assert.Equal(2, (await store.ReadAsync("Observation", "o1", default))!.Version);
    }

    [Fact]
    public async Task AFailureHalfWayRollsBackTheWholeTransaction()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync<int>(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 1, "a"), null);
            await session.WriteAsync(Version("o2", 1, "a"), null);
            throw new InvalidOperationException("extraction failed");
        }, default));

        using var connection = Open();
        Assert.Equal(0, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM resource"));
        Assert.Equal(0, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM token_index"));
    }

    [Fact]
    public async Task ABrokenIndexRowStopsTheResourceBeingStored()
    {
        var broken = Version("o1", 1, "a");
        broken.Index.Tokens.Add(new TokenRow("code", null, null!));
        await Assert.ThrowsAnyAsync<Exception>(() => WriteAsync(broken));

        Assert.Null(await store.ReadAsync("Observation", "o1", default));
        using var connection = Open();
        Assert.Equal(0, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM resource"));
    }

    [Fact]
    public async Task KeysAreMonotonicAndPagingByKeyNeverRepeats()
    {
        for (var i = 0; i < 25; i++)
        {
            await WriteAsync(Version($"o{i}", 1, "a"));
        }

        var seen = new List<string>();
        var query = new SearchQuery("Observation") { Count = 10 };
        while (true)
        {
            var page = await store.SearchAsync(query, query.Count, default);
            seen.AddRange(page.Select(p => p.Id));
            if (page.Count < query.Count)
            {
                break;
            }

            Assert.True(page.Zip(page.Skip(1)).All(p => p.First.Key < p.Second.Key));
            query.After = new SearchCursor(page[^1].LastUpdated.ToUnixTimeMilliseconds(), page[^1].Key);
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"o{i}"), seen);
    }
}
