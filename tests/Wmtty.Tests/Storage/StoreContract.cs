using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Wmtty.Data.Audit;
using Wmtty.Data.Invitations;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Data.Storage;

namespace Wmtty.Tests.Storage;

/// <summary>
/// What every database Wmtty runs on must do, written once and run on each (one subclass per
/// database): versions and the current flag, index rows, transactions, search, the preference and
/// Consent projections, the audit trail, invitations, migrations, and two service instances writing to
/// one database at once. Each test gets a fresh, empty database.
/// </summary>
public abstract partial class StoreContract : IDisposable
{
    private WmttyDatabase? database;

    /// <summary>Why this database cannot be tested here; null when it can.</summary>
    protected abstract string? Unavailable { get; }

    /// <summary>A new service instance's view of this test's database (not migrated).</summary>
    protected abstract WmttyDatabase Connect(Action<StorageOptions>? configure = null);

    /// <summary>Removes this test's database.</summary>
    protected abstract void DropDatabase();

    protected WmttyDatabase Database
    {
        get
        {
            Skip.If(Unavailable is not null, Unavailable);
            if (database is null)
            {
                database = Connect();
                database.Migrate();
            }

            return database;
        }
    }

    protected IResourceStore Store => Database.Resources;

    public void Dispose()
    {
        if (Unavailable is null)
        {
            DropDatabase();
        }

        GC.SuppressFinalize(this);
    }

    protected long Scalar(string sql, object? parameters = null)
    {
        using var connection = Open();
        return connection.ExecuteScalar<long>(sql, parameters);
    }

    private DbConnection Open()
    {
        var connection = Database.Dialect.CreateConnection();
        connection.Open();
        return connection;
    }

    protected static NewVersion Version(string id, int version, string code, string type = "Observation", DateTimeOffset? updated = null)
    {
        var index = new ResourceIndex();
        index.Tokens.Add(new TokenRow("code", "http://loinc.org", code));
        index.Dates.Add(new DateRow("date", 1000, 1999));
        index.Strings.Add(new StringRow("name", "khan", "Khan"));
        index.References.Add(new ReferenceRow("subject", "Patient", "p1", null, null));
        return new NewVersion(type, id, version, updated ?? DateTimeOffset.UtcNow, version == 1 ? VersionChange.Created : VersionChange.Updated,
            """{"resourceType":"Observation"}"""u8.ToArray(), index);
    }

    protected static Task WriteAsync(IResourceStore store, NewVersion version) => store.WriteAsync(async (session, _) =>
    {
        var current = await session.GetCurrentAsync(version.Type, version.Id);
        await session.WriteAsync(version, current);
        return 0;
    }, CancellationToken.None);

    private Task WriteAsync(NewVersion version) => WriteAsync(Store, version);

    private async Task<List<string>> IdsAsync(SearchQuery query) => [.. (await Store.SearchAsync(query, 1000, default)).Select(m => m.Id)];

    // Versions, the current flag and index rows.

    [SkippableFact]
    public async Task FindVersionsNamesWhatASearchFindsAtItsVersions()
    {
        await WriteAsync(Version("fv1", 1, "fv-a"));
        await WriteAsync(Version("fv1", 2, "fv-a"));
        await WriteAsync(Version("fv2", 1, "fv-a"));
        await WriteAsync(Version("fv3", 1, "fv-b"));
        var query = new SearchQuery("Observation").Where(new TokenCondition("code", null, "fv-a"));
        var (versions, found, none, byId) = await Store.WriteAsync(async (session, _) => (
            await session.FindVersionsAsync(query, 10),
            await session.FindAsync(query, 10),
            await session.FindVersionsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "fv-none")), 10),
            await session.FindVersionsAsync(new SearchQuery("Observation").Where(new IdCondition("fv1")), 1)), CancellationToken.None);

        Assert.Equal(["fv1/2", "fv2/1"], versions.Order(StringComparer.Ordinal));
        Assert.Equal(versions.Order(StringComparer.Ordinal), found.Select(m => $"{m.Id}/{m.Version}").Order(StringComparer.Ordinal));
        Assert.True(query.IncludeJson); // asked without JSON, and given back as it was
        Assert.Empty(none);
        Assert.Equal(["fv1/2"], byId);
    }

    [SkippableFact]
    public async Task EveryVersionIsKeptAndOnlyTheLatestIsCurrent()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await WriteAsync(Version("o1", 2, "b"));
        await WriteAsync(Version("o1", 3, "c"));

        Assert.Equal(3, Scalar("SELECT COUNT(*) FROM resource WHERE resource_id = 'o1'"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM resource WHERE resource_id = 'o1' AND is_current = 1"));
        Assert.Equal(3, Scalar("SELECT version FROM resource WHERE resource_id = 'o1' AND is_current = 1"));
        Assert.Equal(3, (await Store.ReadAsync("Observation", "o1", default))!.Version);
        Assert.Equal(2, (await Store.ReadVersionAsync("Observation", "o1", 2, default))!.Version);
        var history = await Store.HistoryAsync("Observation", "o1", 4, DateTimeOffset.UnixEpoch, 2, default);
        Assert.Equal([3, 2], history.Select(h => h.Version));
    }

    [SkippableFact]
    public async Task IndexRowsBelongToTheCurrentVersionOnly()
    {
        await WriteAsync(Version("o1", 1, "old-code"));
        await WriteAsync(Version("o1", 2, "new-code"));

        Assert.Empty(await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "old-code"))));
        Assert.Equal(["o1"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "new-code"))));
        foreach (var table in new[] { "token_index", "reference_index", "date_index", "string_index" })
        {
            Assert.Equal(1, Scalar($"SELECT COUNT(*) FROM {table}"));
        }
    }

    [SkippableFact]
    public async Task ADeleteRemovesTheIndexRowsAndKeepsTheVersions()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await WriteAsync(NewVersion.Deletion("Observation", "o1", 2, DateTimeOffset.UtcNow, compartment: null));

        Assert.Empty(await Store.SearchAsync(new SearchQuery("Observation"), 10, default));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM token_index"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM resource"));
        var current = await Store.ReadAsync("Observation", "o1", default);
        Assert.True(current!.IsDeleted);
        Assert.Null(current.Json);
    }

    [SkippableFact]
    public async Task TheSameVersionCannotBeWrittenTwice()
    {
        await WriteAsync(Version("o1", 1, "a"));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.WriteAsync(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 1, "b"), replacing: null);
            return 0;
        }, default));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM resource"));
    }

    [SkippableFact]
    public async Task RetiringAVersionThatIsNoLongerCurrentIsAConflict()
    {
        await WriteAsync(Version("o1", 1, "a"));
        var stale = await Store.WriteAsync((session, _) => session.GetCurrentAsync("Observation", "o1"), default);
        await WriteAsync(Version("o1", 2, "b"));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Store.WriteAsync(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 3, "c"), stale);
            return 0;
        }, default));
        Assert.Equal(2, (await Store.ReadAsync("Observation", "o1", default))!.Version);
    }

    [SkippableFact]
    public async Task AFailureHalfWayRollsBackTheWholeTransaction()
    {
        var store = Store;
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<int>(async (session, _) =>
        {
            await session.WriteAsync(Version("o1", 1, "a"), null);
            await session.WriteAsync(Version("o2", 1, "a"), null);
            throw new InvalidOperationException("extraction failed");
        }, default));

        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM resource"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM token_index"));
    }

    [SkippableFact]
    public async Task ATokenSystemsKeyGivenOutInAWriteThatRolledBackIsNeverUsed()
    {
        NewVersion WithSystem(string id, string system)
        {
            var version = Version(id, 1, "x");
            version.Index.Tokens.Clear();
            version.Index.Tokens.Add(new TokenRow("code", system, "1"));
            return version;
        }

        // A committed system, then a write that reads the committed keys again (at most once a second), so that none
        // is read again between the writes below, as under load.
        var store = Store;
        await WriteAsync(WithSystem("zero", "urn:zero"));
        await WriteAsync(WithSystem("zero-again", "urn:zero"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<int>(async (session, _) =>
        {
            await session.WriteAsync(WithSystem("rolled-back", "urn:first"), null);
            throw new InvalidOperationException("extraction failed");
        }, default));

        // The key urn:first was given is free again (SQLite gives the next write the same number); a write that had
        // kept it would index urn:first under urn:second's key.
        await WriteAsync(WithSystem("second", "urn:second"));
        await WriteAsync(WithSystem("first", "urn:first"));

        Assert.Equal(["first"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", "urn:first", "1"))));
        Assert.Equal(["second"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", "urn:second", null))));
        Assert.Equal(3, Scalar("SELECT COUNT(*) FROM token_system"));
    }

    [SkippableFact]
    public async Task ABrokenIndexRowStopsTheResourceBeingStored()
    {
        var store = Store;
        var broken = Version("o1", 1, "a");
        broken.Index.Tokens.Add(new TokenRow("code", null, null!));
        await Assert.ThrowsAnyAsync<DbException>(() => WriteAsync(store, broken));

        Assert.Null(await Store.ReadAsync("Observation", "o1", default));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM resource"));
    }

    [SkippableFact]
    public async Task ManyIndexRowsAreAllStoredAcrossBatches()
    {
        var version = Version("many", 1, "first");
        for (var i = 0; i < 1200; i++)
        {
            version.Index.Tokens.Add(new TokenRow("code", "urn:many", $"c{i}"));
        }

        await WriteAsync(version);

        Assert.Equal(1201, Scalar("SELECT COUNT(*) FROM token_index"));
        Assert.Equal(["many"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", "urn:many", "c1199"))));
    }

    // Search.

    [SkippableFact]
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
            var page = await Store.SearchAsync(query, query.Count, default);
            seen.AddRange(page.Select(p => p.Id));
            if (page.Count < query.Count)
            {
                break;
            }

            Assert.True(page.Zip(page.Skip(1)).All(p => p.First.Key < p.Second.Key));
            query.After = new SearchCursor(page[^1].LastUpdated.ToUnixTimeMilliseconds(), page[^1].Key);
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"o{i}"), seen);
        Assert.Equal(25, await Store.CountAsync(new SearchQuery("Observation"), default));
    }

    [SkippableFact]
    public async Task ANewResourceIsItsOwnOriginItsLaterVersionsKeepItAndKeysAreNeverUsedTwice()
    {
        await WriteAsync(Version("first", 1, "a"));
        await WriteAsync(Version("second", 1, "a"));
        await WriteAsync(Version("first", 2, "b"));

        long Key(string id, int version) => Scalar("SELECT resource_key FROM resource WHERE resource_id = @id AND version = @version", new { id, version });
        long Origin(string id, int version) => Scalar("SELECT origin_key FROM resource WHERE resource_id = @id AND version = @version", new { id, version });
        Assert.Equal(Key("first", 1), Origin("first", 1));
        Assert.Equal(Key("second", 1), Origin("second", 1));
        Assert.Equal(Key("first", 1), Origin("first", 2));
        Assert.True(Key("first", 2) > Key("second", 1));

        // A key stays used once its row is gone (as after an erasure): the next resource gets a new one.
        var last = Key("first", 2);
        Scalar("DELETE FROM token_index WHERE resource_key = @last; DELETE FROM date_index WHERE resource_key = @last; " +
               "DELETE FROM string_index WHERE resource_key = @last; DELETE FROM reference_index WHERE resource_key = @last; " +
               "DELETE FROM resource WHERE resource_key = @last", new { last });
        await WriteAsync(Version("third", 1, "a"));
        Assert.True(Key("third", 1) > last);
        Assert.Equal(Key("third", 1), Origin("third", 1));
    }

    [SkippableTheory]
    [InlineData(SearchSort.LastUpdatedAscending)]
    [InlineData(SearchSort.LastUpdatedDescending)]
    public async Task PagingByLastUpdatedWithTiesNeitherRepeatsNorSkips(SearchSort sort)
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        for (var i = 0; i < 12; i++)
        {
            await WriteAsync(Version($"o{i}", 1, "a", updated: start.AddMilliseconds(i / 4))); // four at each instant
        }

        var seen = new List<string>();
        var query = new SearchQuery("Observation") { Sort = sort, Count = 5 };
        while (true)
        {
            var page = await Store.SearchAsync(query, query.Count, default);
            seen.AddRange(page.Select(p => p.Id));
            if (page.Count < query.Count)
            {
                break;
            }

            query.After = new SearchCursor(page[^1].LastUpdated.ToUnixTimeMilliseconds(), page[^1].Key);
        }

        var expected = Enumerable.Range(0, 12).Select(i => $"o{i}");
        Assert.Equal(sort == SearchSort.LastUpdatedAscending ? expected : expected.Reverse(), seen);
    }

    [SkippableFact]
    public async Task TokensMatchExactlyWithOrWithoutTheirSystem()
    {
        await WriteAsync(Version("upper", 1, "ABC"));
        await WriteAsync(Version("lower", 1, "abc"));
        var bare = Version("bare", 1, "x");
        bare.Index.Tokens.Clear();
        bare.Index.Tokens.Add(new TokenRow("code", null, "abc"));
        await WriteAsync(bare);

        Assert.Equal(["upper"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "ABC"))));
        Assert.Equal(["lower", "bare"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "abc"))));
        Assert.Equal(["lower"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", "http://loinc.org", "abc"))));
        Assert.Equal(["bare"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", null, "abc", RequireNoSystem: true))));
        Assert.Equal(["upper", "lower"], await IdsAsync(new SearchQuery("Observation").Where(new TokenCondition("code", "http://loinc.org", null))));
    }

    [SkippableFact]
    public async Task StringSearchesTreatWildcardsAndCaseAsText()
    {
        var values = new Dictionary<string, string>
        {
            ["percent"] = "100%_done",
            ["plain"] = "100 done",
            ["brackets"] = "a[b]c",
            ["backslash"] = "back\\slash",
            ["urdu"] = "خان",
            ["polish"] = "żółw",
            ["emoji"] = "ok👍🏽done",
        };
        foreach (var (id, value) in values)
        {
            var version = Version(id, 1, "a", type: "Patient");
            version.Index.Strings.Clear();
            version.Index.Strings.Add(new StringRow("family", value, value.ToUpperInvariant()));
            await WriteAsync(version);
        }

        Task<List<string>> Find(string value, StringMatch match) => IdsAsync(new SearchQuery("Patient").Where(new StringCondition("family", value, match)));

        Assert.Equal(["percent"], await Find("100%", StringMatch.StartsWith));
        Assert.Equal(["percent", "plain"], await Find("100", StringMatch.StartsWith));
        Assert.Equal(["percent"], await Find("%_", StringMatch.Contains));
        Assert.Equal(["brackets"], await Find("a[b]", StringMatch.StartsWith));
        Assert.Equal(["brackets"], await Find("a[", StringMatch.Contains));
        Assert.Equal(["backslash"], await Find("back\\", StringMatch.StartsWith));
        Assert.Equal(["urdu"], await Find("خا", StringMatch.StartsWith));
        Assert.Equal(["polish"], await Find("żó", StringMatch.StartsWith));
        Assert.Empty(await Find("ŻÓ", StringMatch.StartsWith)); // the normalised value is lower case; matching does not fold case
        Assert.Equal(["emoji"], await Find("ok👍🏽", StringMatch.StartsWith));
        Assert.Equal(["emoji"], await Find("👍", StringMatch.Contains));
        Assert.Equal(["polish"], await Find("ŻÓŁW", StringMatch.Exact));
        Assert.Empty(await Find("żółw", StringMatch.Exact));
        Assert.Empty(await Find("_", StringMatch.StartsWith));
    }

    [SkippableFact]
    public async Task DatesCompareAsRanges()
    {
        var version = Version("d", 1, "a");
        version.Index.Dates.Clear();
        version.Index.Dates.Add(new DateRow("date", 1000, 1999));
        await WriteAsync(version);

        async Task<bool> Matches(Comparator comparator, long low, long high) =>
            (await IdsAsync(new SearchQuery("Observation").Where(new DateCondition("date", comparator, low, high)))).Count == 1;

        Assert.True(await Matches(Comparator.Eq, 0, 5000));
        Assert.False(await Matches(Comparator.Eq, 1500, 5000));
        Assert.True(await Matches(Comparator.Gt, 0, 1500));
        Assert.False(await Matches(Comparator.Gt, 0, 1999));
        Assert.True(await Matches(Comparator.Lt, 1500, 3000));
        Assert.True(await Matches(Comparator.Sa, 0, 999));
        Assert.False(await Matches(Comparator.Sa, 0, 1000));
        Assert.True(await Matches(Comparator.Eb, 2000, 3000));
        Assert.True(await Matches(Comparator.Ne, 1500, 5000));
    }

    [SkippableFact]
    public async Task AReferenceIsFoundByTheIdentifierItCarriesOrItsTargetHas()
    {
        var patient = Version("pat", 1, "x", type: "Patient");
        patient.Index.Tokens.Add(new TokenRow("identifier", "https://fhir.nhs.uk/Id/nhs-number", "9000000009"));
        await WriteAsync(patient);

        var byId = Version("by-id", 1, "a");
        byId.Index.References.Clear();
        byId.Index.References.Add(new ReferenceRow("subject", "Patient", "pat", null, null));
        await WriteAsync(byId);

        var byIdentifier = Version("by-identifier", 1, "a");
        byIdentifier.Index.References.Clear();
        byIdentifier.Index.References.Add(new ReferenceRow("subject", null, null, "https://fhir.nhs.uk/Id/nhs-number", "9000000009"));
        await WriteAsync(byIdentifier);

        var found = await IdsAsync(new SearchQuery("Observation").Where(
            new ReferenceIdentifierCondition("subject", "https://fhir.nhs.uk/Id/nhs-number", "9000000009", ["Patient"], "identifier")));
        Assert.Equal(["by-id", "by-identifier"], found);
        Assert.Equal(["by-id"], await IdsAsync(new SearchQuery("Observation").Where(new ReferenceCondition("subject", "Patient", "pat"))));
    }

    [SkippableFact]
    public async Task CompartmentsAndWithheldSectionsAreLeftOutInSql()
    {
        foreach (var (id, patient, category) in new[] { ("o1", "p1", "diet"), ("o2", "p1", "beliefs"), ("o3", "p2", "beliefs") })
        {
            var version = Version(id, 1, "a") with { Compartment = patient };
            version.Index.Tokens.Add(new TokenRow("category", "urn:sections", category));
            await WriteAsync(version);
        }

        await Store.WriteAsync(async (session, _) =>
        {
            await session.ReplaceWithheldAsync("p1", [new WithheldSection("clinician", "urn:sections", "beliefs"), new WithheldSection("clinician", "urn:sections", "beliefs")]);
            return 0;
        }, default);

        Assert.Equal(["o1", "o2"], await IdsAsync(new SearchQuery("Observation") { Compartment = "p1" }));
        Assert.Equal(["o1", "o3"], await IdsAsync(new SearchQuery("Observation") { Withholding = new Withholding("category", ["clinician"]) }));
        Assert.Equal(["o1", "o2", "o3"], await IdsAsync(new SearchQuery("Observation") { Withholding = new Withholding("category", ["ehr"]) }));
        Assert.Equal([new WithheldSection("clinician", "urn:sections", "beliefs")], await Store.WithheldAsync("p1", default));

        await Store.WriteAsync(async (session, _) =>
        {
            await session.ReplaceWithheldAsync("p1", []);
            return 0;
        }, default);
        Assert.Empty(await Store.WithheldAsync("p1", default));
    }

    // A patient's compartment: the right of access, erasure and retention.

    [SkippableFact]
    public async Task ACompartmentIsEveryVersionLiveRetiredAndDeletedAndErasingItLeavesNothingOfThePatient()
    {
        await WriteAsync(Version("p1", 1, "a", "Patient") with { Compartment = "p1" });
        await WriteAsync(Version("p1", 2, "a", "Patient") with { Compartment = "p1" });
        await WriteAsync(Version("o1", 1, "a") with { Compartment = "p1" });
        await WriteAsync(Version("o1", 2, "b") with { Compartment = "p1" });
        await WriteAsync(Version("o2", 1, "a") with { Compartment = "p1" });
        await WriteAsync(NewVersion.Deletion("Observation", "o2", 2, DateTimeOffset.UtcNow, "p1"));
        await WriteAsync(Version("r1", 1, "a", "QuestionnaireResponse") with { Compartment = "p1" });
        await WriteAsync(Version("p2", 1, "a", "Patient") with { Compartment = "p2" });
        await WriteAsync(Version("o3", 1, "a") with { Compartment = "p2" });
        var now = DateTimeOffset.UtcNow;
        await Database.Invitations.CreateAsync(new Invitation("inv-p1", "9000000009", "staff-1", now, now.AddDays(1), null, null), "hash-p1", default);
        await Database.Invitations.CreateAsync(new Invitation("inv-p2", "9000000017", "staff-1", now, now.AddDays(1), null, null), "hash-p2", default);
        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.SetAsync(new ResponsePreferences("r1", "p1", now, [new PreferenceEntry("o1", null, "diet", 1)]));
            await session.ReplaceWithheldAsync("p1", [new WithheldSection("clinician", "urn:sections", "beliefs")]);
            return 0;
        }, default);

        var held = await Store.CompartmentAsync("p1", default);
        Assert.Equal(["Observation/o1/1", "Observation/o1/2", "Observation/o2/1", "Observation/o2/2", "Patient/p1/1", "Patient/p1/2", "QuestionnaireResponse/r1/1"],
            held.Select(v => $"{v.Type}/{v.Id}/{v.Version}").Order(StringComparer.Ordinal));
        Assert.Null(Assert.Single(held, v => v.IsDeleted).Json);
        Assert.Equal(held.Max(v => v.LastUpdated), await Store.LastActivityAsync("p1", default));

        var erased = await Store.WriteAsync((session, _) => session.EraseCompartmentAsync("p1", ["9000000009"]), default);

        Assert.Equal((7, 4, 1), (erased.Versions, erased.Resources, erased.Invitations));
        Assert.Equal(2, erased.ResourcesByType["Observation"]);
        Assert.Empty(await Store.CompartmentAsync("p1", default));
        Assert.Null(await Store.LastActivityAsync("p1", default));
        Assert.Empty(await Store.WithheldAsync("p1", default));
        Assert.Null(await Database.Preferences.SourceAsync("p1", default));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM token_index WHERE resource_key NOT IN (SELECT resource_key FROM resource)"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM extracted_observation WHERE response_id = 'r1'"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM preference_current WHERE patient_id = 'p1'"));
        Assert.Equal(["Observation/o3/1", "Patient/p2/1"], (await Store.CompartmentAsync("p2", default)).Select(v => $"{v.Type}/{v.Id}/{v.Version}").Order(StringComparer.Ordinal));
        Assert.NotNull(await Database.Invitations.ReadAsync("inv-p2", default));
        Assert.Null(await Database.Invitations.ReadAsync("inv-p1", default));
    }

    [SkippableFact]
    public async Task PatientsUnchangedSinceACutoffAreFoundLiveAndDeletedAcrossPages()
    {
        var old = DateTimeOffset.UtcNow.AddYears(-9);
        for (var i = 0; i < 1205; i++)
        {
            await WriteAsync(Version($"old-{i:D4}", 1, "a", "Patient", old.AddSeconds(i)) with { Compartment = $"old-{i:D4}" });
        }

        await WriteAsync(Version("gone", 1, "a", "Patient", old) with { Compartment = "gone" });
        await WriteAsync(NewVersion.Deletion("Patient", "gone", 2, old.AddDays(1), "gone"));
        await WriteAsync(Version("new", 1, "a", "Patient") with { Compartment = "new" });

        var found = new List<string>();
        await foreach (var id in Store.PatientsUnchangedSinceAsync(DateTimeOffset.UtcNow.AddYears(-8), default))
        {
            found.Add(id);
        }

        Assert.Equal(1206, found.Count);
        Assert.Equal(found.Count, found.Distinct().Count());
        Assert.Contains("gone", found);
        Assert.DoesNotContain("new", found);
    }

    // Preference sets.

    [SkippableFact]
    public async Task TheLatestAuthoredSetIsTheCurrentOne()
    {
        var older = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        foreach (var id in new[] { "old-diet", "new-diet", "new-language" })
        {
            var observation = Version(id, 1, "a") with { Compartment = "p1" };
            observation.Index.Tokens.Add(new TokenRow("category", "urn:sections", "diet"));
            observation.Index.Tokens.Add(new TokenRow("status", null, "final"));
            await WriteAsync(observation);
        }

        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.SetAsync(new ResponsePreferences("r-new", "p1", older.AddDays(1),
                [new PreferenceEntry("new-language", "http://loinc.org", "54899-0", 1), new PreferenceEntry("new-diet", null, "diet", 2)]));
            await session.Preferences.SetAsync(new ResponsePreferences("r-old", "p1", older, [new PreferenceEntry("old-diet", null, "diet", 1)]));
            await session.Preferences.SetAsync(new ResponsePreferences("r-old", "p1", older, [new PreferenceEntry("old-diet", null, "diet", 1)])); // again: no duplicates
            return 0;
        }, default);

        var current = await Database.Preferences.CurrentAsync("p1", default);
        var withoutTokens = await Database.Preferences.CurrentAsync("p1", withTokens: false, default);
        Assert.Equal(current.Select(c => (c.Match.Id, c.Match.Version, c.Code, c.Position)), withoutTokens.Select(c => (c.Match.Id, c.Match.Version, c.Code, c.Position)));
        Assert.All(withoutTokens, c => Assert.Empty(c.Tokens));
        Assert.Contains(current, c => c.Tokens.Count > 0);
        Assert.Equal(["new-language", "new-diet"], current.Select(c => c.Match.Id));
        Assert.Equal("http://loinc.org", current[0].CodeSystem);
        Assert.Null(current[1].CodeSystem);
        Assert.Contains(new TokenRow("status", null, "final"), current[0].Tokens);
        Assert.Contains(new TokenRow("category", "urn:sections", "diet"), current[0].Tokens);
        Assert.DoesNotContain(current[0].Tokens, t => t.Param == "date");
        Assert.Equal("r-new", (await Database.Preferences.SourceAsync("p1", default))!.ResponseId);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM extracted_observation WHERE response_id = 'r-old'"));

        var extracted = await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.RemoveAsync("r-new");
            return await session.Preferences.ExtractedAsync("r-new");
        }, default);
        Assert.Equal(["new-diet", "new-language"], extracted.Order(StringComparer.Ordinal));
        Assert.Equal(["old-diet"], (await Database.Preferences.CurrentAsync("p1", default)).Select(c => c.Match.Id));

        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.RemovePatientAsync("p1");
            return 0;
        }, default);
        Assert.Empty(await Database.Preferences.CurrentAsync("p1", default));
        Assert.Null(await Database.Preferences.SourceAsync("p1", default));
    }

    [SkippableFact]
    public async Task EachPatientsOneRowProjectionEqualsTheJoinAfterEveryKindOfChange()
    {
        var authored = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        foreach (var id in new[] { "diet", "language", "later-diet", "other-diet" })
        {
            await WriteAsync(Version(id, 1, "a") with { Compartment = id == "other-diet" ? "p2" : "p1" });
        }

        long Rows(string patient) => Scalar("SELECT COUNT(*) FROM preference_current WHERE patient_id = @patient", new { patient });

        // Read from the row (without tokens) and through the join (with them): the same answer every time.
        async Task<List<(string Id, int Version, string Json, string Code, int Position)>> SameBothWaysAsync(string patient)
        {
            static List<(string, int, string, string, int)> Shape(IEnumerable<CurrentPreference> all) =>
                [.. all.Select(c => (c.Match.Id, c.Match.Version, System.Text.Encoding.UTF8.GetString(c.Match.Json), c.Code, c.Position))];
            var projected = Shape(await Database.Preferences.CurrentAsync(patient, withTokens: false, default));
            var joined = Shape(await Database.Preferences.CurrentAsync(patient, withTokens: true, default));
            Assert.Equal(joined, projected);
            Assert.Equal(joined.Select(j => (j.Item1, j.Item3)), await SlicesAsync(patient));
            return projected;
        }

        // What $lastn's Bundle is written from (ProjectedAsync): each id with its JSON.
        async Task<List<(string Id, string Json)>> SlicesAsync(string patient)
        {
            using var slices = await Database.Preferences.ProjectedAsync(patient, default);
            return [.. Enumerable.Range(0, slices.Count).Select(i => (slices.IdAt(i), System.Text.Encoding.UTF8.GetString(slices.JsonAt(i))))];
        }

        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.SetAsync(new ResponsePreferences("r1", "p1", authored,
                [new PreferenceEntry("language", "http://loinc.org", "54899-0", 1), new PreferenceEntry("diet", null, "diet", 2)]));
            await session.Preferences.SetAsync(new ResponsePreferences("r2", "p2", authored, [new PreferenceEntry("other-diet", null, "diet", 1)]));
            return 0;
        }, default);
        Assert.Equal(["language", "diet"], (await SameBothWaysAsync("p1")).Select(c => c.Id));
        Assert.Equal(1, Rows("p1"));
        Assert.Equal(1, Rows("p2"));

        // A new version of one of the set's Observations, written on its own.
        await WriteAsync(Version("diet", 2, "b") with { Compartment = "p1", Json = """{"resourceType":"Observation","id":"diet"}"""u8.ToArray() });
        var afterUpdate = await SameBothWaysAsync("p1");
        Assert.Equal((2, """{"resourceType":"Observation","id":"diet"}"""), (afterUpdate[1].Version, afterUpdate[1].Json));

        // A deleted Observation drops out.
        await Store.WriteAsync(async (session, _) =>
        {
            var language = await session.GetCurrentAsync("Observation", "language");
            await session.WriteAsync(new NewVersion("Observation", "language", 2, DateTimeOffset.UtcNow, VersionChange.Deleted, null, new ResourceIndex()) { Compartment = "p1" }, language);
            return 0;
        }, default);
        Assert.Equal(["diet"], (await SameBothWaysAsync("p1")).Select(c => c.Id));

        // A later set replaces it; removing that set brings the earlier one back.
        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.SetAsync(new ResponsePreferences("r3", "p1", authored.AddDays(1), [new PreferenceEntry("later-diet", null, "diet", 1)]));
            return 0;
        }, default);
        Assert.Equal(["later-diet"], (await SameBothWaysAsync("p1")).Select(c => c.Id));
        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.RemoveAsync("r3");
            return 0;
        }, default);
        Assert.Equal(["diet"], (await SameBothWaysAsync("p1")).Select(c => c.Id));

        // Answers come from the row: one that says "nothing" is believed; one this build cannot read is not.
        Scalar("UPDATE preference_current SET entries = @entries WHERE patient_id = 'p1'", new { entries = new byte[] { 1, 0, 0, 0, 0 } });
        Assert.Empty(await Database.Preferences.CurrentAsync("p1", withTokens: false, default));
        Assert.Empty(await SlicesAsync("p1"));
        Scalar("UPDATE preference_current SET entries = @entries WHERE patient_id = 'p1'", new { entries = new byte[] { 1, 9, 0, 0, 0, 7 } });
        Assert.Equal(["diet"], (await Database.Preferences.CurrentAsync("p1", withTokens: false, default)).Select(c => c.Match.Id));
        Assert.Equal(["diet"], (await SlicesAsync("p1")).Select(s => s.Id));

        // Without a row (data stored before the projection existed), the join answers.
        Scalar("DELETE FROM preference_current WHERE patient_id = 'p1'");
        Assert.Equal(["diet"], (await SameBothWaysAsync("p1")).Select(c => c.Id));

        // The patient's sets removed: no row, nothing current; the other patient's row is untouched.
        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.RemovePatientAsync("p1");
            return 0;
        }, default);
        Assert.Empty(await SameBothWaysAsync("p1"));
        Assert.Equal(0, Rows("p1"));
        Assert.Equal(["other-diet"], (await SameBothWaysAsync("p2")).Select(c => c.Id));
    }

    // 450 patients (more than two of the background tasks' batches), each with a set: a diet Observation, and a language one if asked.
    private async Task<List<string>> PatientsWithSetsAsync(bool withLanguage)
    {
        var authored = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var patients = Enumerable.Range(0, 450).Select(i => $"p{i:D3}").ToList();
        await Store.WriteAsync(async (session, _) =>
        {
            foreach (var patient in patients)
            {
                List<PreferenceEntry> entries = [new PreferenceEntry($"o-{patient}", null, "diet", 1)];
                await session.WriteAsync(Version($"o-{patient}", 1, "a") with { Compartment = patient }, null);
                if (withLanguage)
                {
                    await session.WriteAsync(Version($"o2-{patient}", 1, "b") with { Compartment = patient }, null);
                    entries.Add(new PreferenceEntry($"o2-{patient}", "http://loinc.org", "54899-0", 2));
                }

                await session.Preferences.SetAsync(new ResponsePreferences($"r-{patient}", patient, authored, entries));
            }

            return 0;
        }, default);
        return patients;
    }

    [SkippableFact]
    public async Task MissingProjectionsAreBuiltBatchByBatchAndAnEmptyJoinGetsNoRow()
    {
        var patients = await PatientsWithSetsAsync(withLanguage: false);
        Assert.Equal(patients.Count, Scalar("SELECT COUNT(*) FROM preference_current"));

        // As a database from before the projection: no rows. One patient's only Observation is deleted, so their join is empty.
        await Store.WriteAsync(async (session, _) =>
        {
            var gone = await session.GetCurrentAsync("Observation", "o-p007");
            await session.WriteAsync(new NewVersion("Observation", "o-p007", 2, DateTimeOffset.UtcNow, VersionChange.Deleted, null, new ResourceIndex()) { Compartment = "p007" }, gone);
            return 0;
        }, default);
        Scalar("DELETE FROM preference_current");

        Assert.Equal(patients.Count, await Database.Preferences.BuildMissingProjectionsAsync(default));
        Assert.Equal(patients.Count - 1, Scalar("SELECT COUNT(*) FROM preference_current"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM preference_current WHERE patient_id = 'p007'"));
        foreach (var patient in new[] { "p000", "p199", "p200", "p449", "p007" })
        {
            var projected = await Database.Preferences.CurrentAsync(patient, withTokens: false, default);
            var joined = await Database.Preferences.CurrentAsync(patient, withTokens: true, default);
            Assert.Equal(joined.Select(c => (c.Match.Id, c.Match.Version)), projected.Select(c => (c.Match.Id, c.Match.Version)));
        }

        // Again: only the one with nothing current is looked at, and it still gets no row.
        Assert.Equal(1, await Database.Preferences.BuildMissingProjectionsAsync(default));
        Assert.Equal(patients.Count - 1, Scalar("SELECT COUNT(*) FROM preference_current"));
    }

    [SkippableFact]
    public async Task ProjectionRowsOfTheOldFormatAreRewrittenDeflatedAndTakenOffTheList()
    {
        var patients = await PatientsWithSetsAsync(withLanguage: true);

        async Task<List<(string, int, string, string, int)>> JoinedAsync(string patient) =>
            [.. (await Database.Preferences.CurrentAsync(patient, withTokens: true, default)).Select(c => (c.Match.Id, c.Match.Version, System.Text.Encoding.UTF8.GetString(c.Match.Json), c.Code, c.Position))];
        async Task<List<(string, int, string, string, int)>> ProjectedAsync(string patient) =>
            [.. (await Database.Preferences.CurrentAsync(patient, withTokens: false, default)).Select(c => (c.Match.Id, c.Match.Version, System.Text.Encoding.UTF8.GetString(c.Match.Json), c.Code, c.Position))];
        byte[] Entries(string patient)
        {
            using var connection = Open();
            return connection.ExecuteScalar<byte[]>("SELECT entries FROM preference_current WHERE patient_id = @patient", new { patient })!;
        }

        // As a build before the deflated format left them, and as migration 10 lists them: every row in format 1 but
        // p001's, written since in format 2; p002's garbled; p003 with no row at all any more.
        var before = new Dictionary<string, List<(string, int, string, string, int)>>();
        foreach (var patient in patients)
        {
            before[patient] = await JoinedAsync(patient);
            if (patient != "p001")
            {
                Scalar("UPDATE preference_current SET entries = @entries WHERE patient_id = @patient",
                    new { patient, entries = PreferenceProjectionTests.Uncompressed(PreferenceProjection.Decode(Entries(patient))!) });
            }

            Scalar("INSERT INTO preference_current_rewrite (patient_id) VALUES (@patient)", new { patient });
        }

        Scalar("UPDATE preference_current SET entries = @entries WHERE patient_id = 'p002'", new { entries = new byte[] { 1, 9, 0, 0, 0, 7 } });
        Scalar("DELETE FROM preference_current WHERE patient_id = 'p003'");
        var deflatedBefore = Entries("p001");
        Assert.Equal(1, Entries("p000")[0]);
        Assert.Equal(before["p000"], await ProjectedAsync("p000")); // read as it is meanwhile

        Assert.Equal(patients.Count - 2, await Database.Preferences.RewriteOldProjectionsAsync(default));

        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM preference_current_rewrite"));
        Assert.Equal(patients.Count - 1, Scalar("SELECT COUNT(*) FROM preference_current"));
        foreach (var patient in patients.Where(p => p != "p003"))
        {
            Assert.True(PreferenceProjection.IsCurrentFormat(Entries(patient)), patient);
            Assert.Equal(before[patient], await ProjectedAsync(patient));
        }

        Assert.Equal(deflatedBefore, Entries("p001")); // already deflated: only taken off the list
        Assert.Equal(0, await Database.Preferences.RewriteOldProjectionsAsync(default));
    }

    // The audit trail.

    [SkippableFact]
    public async Task TheAuditTrailIsAppendOnlyAndFoundByPatient()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        AuditEntry Entry(string interaction, params string[] patients) =>
            new(at, "R", interaction, "Patient", "p1", 200, "user", "staff-1", "Dr Example", "ehr", "clinician", "req", patients);

        // A write's record first: on SQLite, records appended on their own are stored from the journal when found,
        // after any write's (AuditJournalTests), so this order gives the same keys on both.
        await Store.WriteAsync(async (session, _) =>
        {
            await session.AppendAuditAsync(Entry("create", "p2"));
            return 0;
        }, default);
        await Database.Audit.AppendAsync([Entry("read", "p1", "p1"), Entry("search-type", "p1", "p2"), Entry("capabilities")], default);

        var forP1 = await Database.Audit.SearchAsync(new AuditQuery("p1", at.AddDays(-1), at.AddDays(1), long.MaxValue, 10), default);
        Assert.Equal(["search-type", "read"], forP1.Select(e => e.Interaction));
        Assert.Equal(["p1", "p2"], forP1[0].Patients);
        Assert.Equal(["p1"], forP1[1].Patients);
        var all = await Database.Audit.SearchAsync(new AuditQuery(null, at.AddDays(-1), at.AddDays(1), long.MaxValue, 3), default);
        Assert.Equal(["capabilities", "search-type", "read"], all.Select(e => e.Interaction));
        Assert.Equal("read", (await Database.Audit.ReadAsync(forP1[1].Key, default))!.Interaction);

        using var connection = Open();
        Assert.ThrowsAny<DbException>(() => connection.Execute("UPDATE audit_record SET status = 500"));
        Assert.ThrowsAny<DbException>(() => connection.Execute("DELETE FROM audit_patient"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM audit_record WHERE status = 500"));
        Assert.Equal(4, Scalar("SELECT COUNT(*) FROM audit_patient"));
    }

    [SkippableFact]
    public async Task EveryFieldOfAnAuditRecordReadsBackAsWritten()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_123_456);
        AuditEntry full = new(at, "U", "update", "Observation", "o-1", 412, "system", "app-7", "Ward EHR", "client-9", "ehrwriter clinician", "req-ü", ["p1", "p2"]);
        AuditEntry sparse = new(at.AddSeconds(1), "E", "operation", null, null, 200, "patient", "sub-3", null, null, null, null, []);
        await Store.WriteAsync(async (session, _) =>
        {
            await session.AppendAuditAsync(full);
            await session.AppendAuditAsync(sparse);
            return 0;
        }, default);
        await Database.Audit.AppendAsync([full with { RequestId = "req-journal" }, sparse with { RequestId = "req-journal-2" }], default);

        var all = await Database.Audit.SearchAsync(new AuditQuery(null, at.AddDays(-1), at.AddDays(1), long.MaxValue, 10), default);
        Assert.Equal(4, all.Count);
        foreach (var expected in new[] { full, sparse, full with { RequestId = "req-journal" }, sparse with { RequestId = "req-journal-2" } })
        {
            var found = Assert.Single(all, e => e.RequestId == expected.RequestId);
            var read = (await Database.Audit.ReadAsync(found.Key, default))!;
            Assert.Equal(
                (expected.Recorded, expected.Action, expected.Interaction, expected.ResourceType, expected.ResourceId, expected.Status, expected.CallerKind, expected.Subject, expected.SubjectName, expected.ClientId, expected.Roles, expected.RequestId),
                (read.Recorded, read.Action, read.Interaction, read.ResourceType, read.ResourceId, read.Status, read.CallerKind, read.Subject, read.SubjectName, read.ClientId, read.Roles, read.RequestId));
            Assert.Equal(expected.Patients.Order(), read.Patients.Order());
        }
    }

    // Invitations.

    [SkippableFact]
    public async Task AnInvitationIsRedeemedOnceThoughTwoInstancesTryAtOnce()
    {
        var now = DateTimeOffset.UtcNow;
        await Database.Invitations.CreateAsync(new Invitation("inv-1", "9000000009", "staff-1", now, now.AddDays(1), null, null), "hash-1", default);
        var instances = new[] { Database, Connect(), Connect() };

        var redemptions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Task.Run(() => instances[i % instances.Length].Invitations.RedeemAsync("hash-1", now.AddMinutes(1), default))));

        Assert.Single(redemptions, r => r.Redeemed);
        Assert.All(redemptions.Where(r => !r.Redeemed), r => Assert.Equal(InvitationState.Used, r.State));
        Assert.Equal(InvitationState.Used, (await Database.Invitations.RevokeAsync("inv-1", now.AddMinutes(2), default)).State);
    }

    // Two service instances on one database.

    [SkippableFact]
    public async Task TwoInstancesUpdatingOneResourceLoseNothingAndNeverDuplicateAVersion()
    {
        await WriteAsync(Version("shared", 1, "v1"));
        var instances = new[] { Database.Resources, Connect().Resources };

        // As the service does without If-Match: read the current version, write the next, and start
        // again when another writer got there first.
        var written = new ConcurrentBag<int>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var store = instances[i % 2];
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    written.Add(await store.WriteAsync(async (session, _) =>
                    {
                        var current = await session.GetCurrentAsync("Observation", "shared");
                        await session.WriteAsync(Version("shared", current!.Version + 1, $"from-{i}"), current);
                        return current.Version + 1;
                    }, default));
                    return;
                }
                catch (ConcurrencyConflictException) when (attempt < 50)
                {
                }
            }
        })));

        Assert.Equal(Enumerable.Range(2, 20), written.Order());
        Assert.Equal(21, Scalar("SELECT COUNT(*) FROM resource WHERE resource_id = 'shared'"));
        Assert.Equal(21, Scalar("SELECT COUNT(DISTINCT version) FROM resource WHERE resource_id = 'shared'"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM resource WHERE resource_id = 'shared' AND is_current = 1"));
        Assert.Equal(21, (await Store.ReadAsync("Observation", "shared", default))!.Version);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM token_index"));
    }

    [SkippableFact]
    public async Task ConditionalCreatesUnderOneLockMakeOneResourceAcrossInstances()
    {
        var instances = new[] { Database.Resources, Connect().Resources };
        var query = new SearchQuery("Patient").Where(new TokenCondition("identifier", null, "9000000009"));

        var created = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => instances[i % 2].WriteAsync(async (session, _) =>
        {
            await session.LockAsync("match:Patient:9000000009");
            if ((await session.FindAsync(query, 2)).Count > 0)
            {
                return false;
            }

            var patient = Version($"patient-{i}", 1, "x", type: "Patient");
            patient.Index.Tokens.Add(new TokenRow("identifier", "https://fhir.nhs.uk/Id/nhs-number", "9000000009"));
            await session.WriteAsync(patient, null);
            return true;
        }, default))));

        Assert.Single(created, c => c);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM resource WHERE resource_type = 'Patient'"));
    }

    // Migrations.

    [SkippableFact]
    public void InstancesStartingTogetherMigrateOnce()
    {
        Skip.If(Unavailable is not null, Unavailable);
        var instances = Enumerable.Range(0, 4).Select(_ => Connect()).ToList();

        var applied = instances.AsParallel().WithDegreeOfParallelism(4).Select(instance => instance.Migrate()).ToList();

        Assert.Single(applied, a => a.Count > 0);
        Assert.Equal(instances[0].Migrations.Select(m => m.Version), applied.Single(a => a.Count > 0));
        Assert.Equal(instances[0].Migrations.Count, Scalar("SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(instances[0].LatestSchemaVersion, Database.ReadSchemaVersion());
        Assert.Empty(Connect().Migrate());
    }

    [SkippableFact]
    public void AWellSetDatabaseNeedsNoAdvice() => Assert.Empty(Database.SettingsAdvice());

    [SkippableFact]
    public async Task MigratingAgainKeepsTheData()
    {
        await WriteAsync(Version("kept", 1, "a"));

        Assert.Empty(Connect().Migrate());

        Assert.Equal(1, (await Connect().Resources.ReadAsync("Observation", "kept", default))!.Version);
        Assert.Equal(Database.Migrations.Count, Scalar("SELECT COUNT(*) FROM schema_version"));
    }

    [SkippableFact]
    public void ADatabaseFromANewerBuildRefusesToStart()
    {
        _ = Database;
        Scalar("INSERT INTO schema_version (version, description, applied_utc) VALUES (999, 'from the future', '2030-01-01T00:00:00Z'); SELECT 1");

        var error = Assert.Throws<SchemaTooNewException>(() => Connect().Migrate());
        Assert.Equal(999, error.DatabaseVersion);
        Assert.Contains("newer Wmtty", error.Message);
    }
}
