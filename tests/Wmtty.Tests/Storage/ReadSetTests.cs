using Wmtty.Api.Definitions;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// What a write read before its transaction (ReadSet), checked again inside it on a real SQLite file: it holds while
/// nothing it read has changed, and not once a resource it found has a new version, one it found is gone, one it did
/// not find is there, or a search would find one more.
/// </summary>
public sealed class ReadSetTests : IAsyncDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly WmttyDatabase database;

    public ReadSetTests()
    {
        database = WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null);
        database.Migrate();
    }

    public async ValueTask DisposeAsync()
    {
        await database.DisposeAsync();
        WmttyApp.DeleteDataFolder(folder);
    }

    private IResourceStore Store => database.Resources;

    private static readonly SearchQuery ByUrl = new SearchQuery("Questionnaire").Where(new TokenCondition("url", null, "http://example.org/q"));

    private static NewVersion Questionnaire(string id, int version)
    {
        var index = new ResourceIndex();
        index.Tokens.Add(new TokenRow("url", null, "http://example.org/q"));
        return new NewVersion("Questionnaire", id, version, DateTimeOffset.UtcNow, version == 1 ? VersionChange.Created : VersionChange.Updated,
            """{"resourceType":"Questionnaire"}"""u8.ToArray(), index);
    }

    private static NewVersion Patient(string id) =>
        new("Patient", id, 1, DateTimeOffset.UtcNow, VersionChange.Created, """{"resourceType":"Patient"}"""u8.ToArray(), new ResourceIndex()) { Compartment = id };

    private Task WriteAsync(NewVersion version) => Store.WriteAsync(async (session, _) =>
    {
        await session.WriteAsync(version, await session.GetCurrentAsync(version.Type, version.Id));
        return 0;
    }, CancellationToken.None);

    private Task DeleteAsync(string type, string id) => Store.WriteAsync(async (session, _) =>
    {
        var current = await session.GetCurrentAsync(type, id);
        await session.WriteAsync(NewVersion.Deletion(type, id, current!.Version + 1, DateTimeOffset.UtcNow, current.Compartment), current);
        return 0;
    }, CancellationToken.None);

    // Reads as a response's checks do: the questionnaire by url, one patient who exists and one who does not.
    private async Task<ReadSet> ReadAsync()
    {
        var reads = new ReadSet();
        var reader = reads.Reader(Store, CancellationToken.None);
        Assert.Single(await reader.Find(ByUrl, 2));
        Assert.True(await reader.Exists("Patient", "p1"));
        Assert.False(await reader.Exists("Patient", "p2"));
        return reads;
    }

    private Task<bool> HoldsAsync(ReadSet reads) => Store.WriteAsync((session, _) => reads.StillHoldsAsync(session), CancellationToken.None);

    [Fact]
    public async Task WhatWasReadHoldsUntilSomethingItReadChanges()
    {
        await WriteAsync(Questionnaire("q1", 1));
        await WriteAsync(Patient("p1"));

        var unchanged = await ReadAsync();
        await WriteAsync(Patient("p3")); // not read
        Assert.True(await HoldsAsync(unchanged));

        var beforeNewVersion = await ReadAsync();
        await WriteAsync(Questionnaire("q1", 2));
        Assert.False(await HoldsAsync(beforeNewVersion));

        var beforeDelete = await ReadAsync();
        await DeleteAsync("Patient", "p1");
        Assert.False(await HoldsAsync(beforeDelete));
        await WriteAsync(Patient("p1") with { Version = 3, Change = VersionChange.Updated });

        var beforeCreate = await ReadAsync();
        await WriteAsync(Patient("p2"));
        Assert.False(await HoldsAsync(beforeCreate));
        await DeleteAsync("Patient", "p2");

        var beforeSecondMatch = await ReadAsync();
        await WriteAsync(Questionnaire("q2", 1));
        Assert.False(await HoldsAsync(beforeSecondMatch));
    }

    private static SearchQuery VersionsByUrl() =>
        new SearchQuery("Questionnaire") { IncludeJson = false }.Where(new TokenCondition("url", null, "http://example.org/q"));

    [Fact]
    public async Task ARememberedAnswerThatWentStaleIsCaughtInsideTheTransaction()
    {
        await WriteAsync(Questionnaire("q1", 1));
        var recent = new RecentDefinitions();
        Assert.Equal(1, Assert.Single(await new ReadSet().Reader(Store, CancellationToken.None, recent).Find(VersionsByUrl(), 2)).Version);

        await WriteAsync(Questionnaire("q1", 2));
        var stale = new ReadSet();
        Assert.Equal(1, Assert.Single(await stale.Reader(Store, CancellationToken.None, recent).Find(VersionsByUrl(), 2)).Version); // remembered, not asked
        Assert.False(await HoldsAsync(stale));

        recent.Clear(); // as the writer does when a preparation did not hold
        var fresh = new ReadSet();
        Assert.Equal(2, Assert.Single(await fresh.Reader(Store, CancellationToken.None, recent).Find(VersionsByUrl(), 2)).Version);
        Assert.True(await HoldsAsync(fresh));

        // Only definitions' versions are remembered: never patient data, and never a resource's JSON.
        Assert.NotNull(RecentDefinitions.KeyOf(VersionsByUrl(), 2));
        Assert.Null(RecentDefinitions.KeyOf(new SearchQuery("Patient") { IncludeJson = false }.Where(new IdCondition("p1")), 1));
        Assert.Null(RecentDefinitions.KeyOf(ByUrl, 2));
        Assert.NotEqual(RecentDefinitions.KeyOf(VersionsByUrl(), 2),
            RecentDefinitions.KeyOf(new SearchQuery("Questionnaire") { IncludeJson = false }.Where(new TokenCondition("url", null, "http://example.org/other")), 2));
    }
}
