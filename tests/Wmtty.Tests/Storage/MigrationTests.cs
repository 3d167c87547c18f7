using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

public sealed class MigrationTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));

    private WmttyDatabase Database() => WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null);

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        WmttyApp.DeleteDataFolder(folder);
    }

    [Fact]
    public void MigrationsRunOnAnEmptyDatabaseAndRecordTheSchemaVersion()
    {
        var database = Database();
        var applied = database.Migrate();

        Assert.Equal(database.Migrations.Select(m => m.Version), applied);
        Assert.Equal(database.LatestSchemaVersion, database.ReadSchemaVersion());
        using var connection = Open();
        var tables = connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").ToList();
        Assert.Superset(new HashSet<string> { "resource", "token_index", "reference_index", "date_index", "string_index", "schema_version" }, tables.ToHashSet());
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        var recorded = connection.Query<(long Version, string Description)>("SELECT version, description FROM schema_version").ToList();
        Assert.Equal(database.Migrations.Count, recorded.Count);
        Assert.Equal("initial", recorded[0].Description);
    }

    [Fact]
    public void MigrationsRunAgainOnAnExistingDatabaseChangeNothing()
    {
        Database().Migrate();
        using (var connection = Open())
        {
            connection.Execute("INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, request_method, response_status, json) VALUES ('Patient', 'kept', 1, 1, 0, 0, 'POST', 201, x'7B7D')");
        }

        var again = Database().Migrate();

        Assert.Empty(again);
        using var check = Open();
        Assert.Equal(1, check.ExecuteScalar<int>("SELECT COUNT(*) FROM resource WHERE resource_id = 'kept'"));
        Assert.Equal(Database().Migrations.Count, check.ExecuteScalar<int>("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public void ADatabaseNewerThanTheCodeRefusesToStart()
    {
        var database = Database();
        database.Migrate();
        using (var connection = Open())
        {
            connection.Execute("INSERT INTO schema_version (version, description, applied_utc) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')");
        }

        var error = Assert.Throws<SchemaTooNewException>(() => Database().Migrate());
        Assert.Equal(999, error.DatabaseVersion);
        Assert.Contains("schema version 999", error.Message);
        Assert.Contains("newer Wmtty", error.Message);
    }

    [Fact]
    public void TheServiceItselfRefusesToStartOnANewerDatabase()
    {
        Database().Migrate();
        using (var connection = Open())
        {
            connection.Execute("INSERT INTO schema_version (version, description, applied_utc) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')");
        }

        using var app = new WmttyApp(dataDirectory: folder);
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        for (var e = error; e is not null; e = e.InnerException!)
        {
            if (e is SchemaTooNewException)
            {
                return;
            }
        }

        Assert.Fail($"Expected a SchemaTooNewException, got {error}");
    }

    [Fact]
    public async Task DataSurvivesARestartOfTheService()
    {
        string id;
        await using (var first = new WmttyApp(dataDirectory: folder))
        {
            using var client = await first.ClientAsync();
            id = (await client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next()))).Text("id");
        }

        await using var second = new WmttyApp(dataDirectory: folder);
        using var again = await second.ClientAsync();
        using var response = await again.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AfterAnUpgradeTheServiceBuildsTheMissingPreferenceProjectionsInTheBackground()
    {
        var (patientId, before) = await PatientWithPreferencesAsync();

        using (var connection = Open())
        {
            connection.Execute("DELETE FROM preference_current"); // as a build before migration 6 left it
        }

        await using var second = new WmttyApp(dataDirectory: folder);
        using var again = await second.ClientAsync();
        Assert.Equal(before, (await Responses.LastNAsync(again, $"patient={patientId}")).Select(e => e.ToJsonString())); // through the join meanwhile
        var waited = System.Diagnostics.Stopwatch.StartNew();
        long rows;
        do
        {
            await Task.Delay(50);
            using var check = Open();
            rows = check.ExecuteScalar<long>("SELECT COUNT(*) FROM preference_current WHERE patient_id = @patientId", new { patientId });
        }
        while (rows == 0 && waited.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(1, rows);
        Assert.Equal(before, (await Responses.LastNAsync(again, $"patient={patientId}")).Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task AfterAnUpgradeProjectionRowsOfTheOldFormatAreRewrittenDeflatedInTheBackground()
    {
        var (patientId, before) = await PatientWithPreferencesAsync();

        byte[] Entries()
        {
            using var connection = Open();
            return connection.ExecuteScalar<byte[]>("SELECT entries FROM preference_current WHERE patient_id = @patientId", new { patientId })!;
        }

        using (var connection = Open())
        {
            // As a build before migration 10 left it: the row uncompressed (format 1), no list of rows to rewrite, and no later migrations.
            connection.Execute("UPDATE preference_current SET entries = @entries WHERE patient_id = @patientId",
                new { patientId, entries = PreferenceProjectionTests.Uncompressed(Wmtty.Data.Preferences.PreferenceProjection.Decode(Entries())!) });
            connection.Execute("""
                DROP TABLE preference_current_rewrite; DROP INDEX ix_resource_compartment_retired; DROP INDEX ix_resource_compartment_deleted; DROP INDEX ix_resource_deleted_updated;
                DROP TABLE preference_need; DROP TABLE preference_measure_backfill; ALTER TABLE preference_response DROP COLUMN response_language; ALTER TABLE preference_response DROP COLUMN completed_by;
                ALTER TABLE preference_response DROP COLUMN gp_practice; ALTER TABLE preference_response DROP COLUMN postcode_district;
                DELETE FROM schema_version WHERE version >= 10
                """);
        }

        Assert.Equal(1, Entries()[0]);
        await using var second = new WmttyApp(dataDirectory: folder);
        using var again = await second.ClientAsync();
        Assert.Equal(before, (await Responses.LastNAsync(again, $"patient={patientId}")).Select(e => e.ToJsonString()));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        long listed;
        do
        {
            await Task.Delay(50);
            using var check = Open();
            listed = check.ExecuteScalar<long>("SELECT COUNT(*) FROM preference_current_rewrite");
        }
        while (listed > 0 && waited.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(0, listed);
        Assert.Equal(2, Entries()[0]);
        Assert.Equal(before, (await Responses.LastNAsync(again, $"patient={patientId}")).Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task IndexedStringsLongerThanTheNewLimitAreCutSoTheyAreStillFound()
    {
        MigrateTo(4);
        var longName = new string('k', 600);
        using (var connection = Open())
        {
            // As a build that indexed up to 1,000 characters left it, before migration 5.
            connection.Execute("INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, request_method, response_status, json) VALUES ('Patient', 'long', 1, 1, 0, 0, 1, 'POST', 201, x'7B7D')");
            connection.Execute("INSERT INTO string_index (resource_key, resource_type, param, value, exact_value) SELECT resource_key, 'Patient', 'family', @Value, @Value FROM resource", new { Value = longName });
        }

        Assert.Equal([5, 6, 7, 8, 9, 10, 11, 12], Database().Migrate());

        var search = new Wmtty.Data.Search.SearchQuery("Patient").Where(new Wmtty.Data.Search.StringCondition("family", Wmtty.Fhir.Search.SearchText.Exact(longName), Wmtty.Data.Search.StringMatch.Exact));
        Assert.Equal("long", Assert.Single(await Database().Resources.SearchAsync(search, 10, default)).Id);
        using var check = Open();
        Assert.Equal(256, check.ExecuteScalar<int>("SELECT length(value) FROM string_index"));
    }

    [Fact]
    public async Task IndexRowsWrittenWithTheirTypeAndParameterAsTextAreKeyedAndStillFound()
    {
        MigrateTo(7);
        using (var connection = Open())
        {
            // Rows as builds before migration 8 wrote them: the resource type and parameter as text in every row.
            connection.Execute("""
                INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, request_method, response_status, json, compartment)
                VALUES ('Patient', 'p1', 1, 1, 0, 0, 1, 'POST', 201, x'7B7D', 'p1'), ('Observation', 'o1', 1, 1, 0, 0, 2, 'POST', 201, x'7B7D', 'p1');
                INSERT INTO token_index (resource_key, resource_type, param, system, code) VALUES (2, 'Observation', 'code', 'http://snomed.info/sct', '1234');
                INSERT INTO reference_index (resource_key, resource_type, param, target_type, target_id, identifier_system, identifier_value) VALUES (2, 'Observation', 'subject', 'Patient', 'p1', NULL, NULL);
                INSERT INTO date_index (resource_key, resource_type, param, low, high) VALUES (2, 'Observation', 'date', 1000, 1999);
                INSERT INTO string_index (resource_key, resource_type, param, value, exact_value) VALUES (1, 'Patient', 'family', 'smith', 'Smith');
                """);
        }

        Assert.Equal([8, 9, 10, 11, 12], Database().Migrate());

        using (var check = Open())
        {
            Assert.Equal(4, check.ExecuteScalar<long>("SELECT COUNT(*) FROM index_param"));
            Assert.Empty(check.Query<string>("SELECT name FROM pragma_table_info('token_index') WHERE name IN ('resource_type', 'param')"));
        }

        var resources = Database().Resources;
        async Task<string?> Found(Wmtty.Data.Search.SearchQuery query) => Assert.Single(await resources.SearchAsync(query, 10, default)).Id;
        Assert.Equal("o1", await Found(new Wmtty.Data.Search.SearchQuery("Observation").Where(new Wmtty.Data.Search.TokenCondition("code", "http://snomed.info/sct", "1234"))));
        Assert.Equal("o1", await Found(new Wmtty.Data.Search.SearchQuery("Observation").Where(new Wmtty.Data.Search.ReferenceCondition("subject", "Patient", "p1"))));
        Assert.Equal("o1", await Found(new Wmtty.Data.Search.SearchQuery("Observation").Where(new Wmtty.Data.Search.DateCondition("date", Wmtty.Data.Search.Comparator.Eq, 1000, 1999))));
        Assert.Equal("p1", await Found(new Wmtty.Data.Search.SearchQuery("Patient").Where(new Wmtty.Data.Search.StringCondition("family", "smith", Wmtty.Data.Search.StringMatch.StartsWith))));
        Assert.Empty(await resources.SearchAsync(new Wmtty.Data.Search.SearchQuery("Patient").Where(new Wmtty.Data.Search.TokenCondition("code", "http://snomed.info/sct", "1234")), 10, default));
    }

    [Fact]
    public async Task TokenRowsWrittenWithTheirSystemAsTextAreKeyedAndFoundByEveryFormOfToken()
    {
        MigrateTo(8);
        using (var connection = Open())
        {
            // Rows as builds before migration 9 wrote them: the token's system as text, or none.
            connection.Execute("""
                INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, request_method, response_status, json, compartment)
                VALUES ('Observation', 'snomed', 1, 1, 0, 0, 1, 'POST', 201, x'7B7D', 'p1'),
                       ('Observation', 'local', 1, 1, 0, 0, 2, 'POST', 201, x'7B7D', 'p1'),
                       ('Observation', 'bare', 1, 1, 0, 0, 3, 'POST', 201, x'7B7D', 'p1');
                INSERT INTO index_param (resource_type, param) VALUES ('Observation', 'code');
                INSERT INTO token_index (resource_key, param_key, system, code)
                VALUES (1, 1, 'http://snomed.info/sct', '1234'), (2, 1, 'https://example.org/codes', '1234'), (3, 1, NULL, '1234');
                """);
        }

        Assert.Equal([9, 10, 11, 12], Database().Migrate());

        using (var check = Open())
        {
            Assert.Equal(["http://snomed.info/sct", "https://example.org/codes"], check.Query<string>("SELECT system FROM token_system ORDER BY system_key"));
            Assert.Empty(check.Query<string>("SELECT name FROM pragma_table_info('token_index') WHERE name = 'system'"));
            Assert.Equal(1, check.ExecuteScalar<long>("SELECT COUNT(*) FROM token_index WHERE system_key IS NULL"));
        }

        var resources = Database().Resources;
        async Task<string[]> Found(string? system, string? code, bool requireNoSystem = false) =>
            [.. (await resources.SearchAsync(new Wmtty.Data.Search.SearchQuery("Observation").Where(new Wmtty.Data.Search.TokenCondition("code", system, code, requireNoSystem)), 10, default)).Select(m => m.Id).Order()];
        Assert.Equal(["snomed"], await Found("http://snomed.info/sct", "1234"));
        Assert.Equal(["local"], await Found("https://example.org/codes", null));
        Assert.Equal(["bare"], await Found(null, "1234", requireNoSystem: true));
        Assert.Equal(["bare", "local", "snomed"], await Found(null, "1234"));
        Assert.Empty(await Found("http://loinc.org", "1234"));
    }

    // A patient with a typical submission, stored by the service and stopped again; and their $lastn entries.
    private async Task<(string PatientId, List<string> LastN)> PatientWithPreferencesAsync()
    {
        await using var app = new WmttyApp(dataDirectory: folder);
        using var client = await app.ClientAsync();
        var (patientId, _) = await Responses.CreatePatientAsync(client);
        await Responses.SubmitAsync(client, Responses.Build(patientId, Responses.TypicalAnswers()));
        return (patientId, [.. (await Responses.LastNAsync(client, $"patient={patientId}")).Select(e => e.ToJsonString())]);
    }

    [Fact]
    public async Task SetsStoredBeforeMigration12CountAsNotRecordedInTheBreakdowns()
    {
        MigrateTo(11);
        using (var connection = Open())
        {
            connection.Execute("INSERT INTO preference_response (response_id, patient_id, authored) VALUES ('old-response', 'old-patient', @Authored)",
                new { Authored = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() });
        }

        Assert.Equal([12], Database().Migrate());

        var counts = await Database().Measures.CountAsync(new DateTimeOffset(2026, 5, 31, 0, 0, 0, TimeSpan.Zero), default);
        var set = Assert.Single(counts.Sets);
        Assert.Equal((0, null, null, null, null, 1L), (set.Recency, set.Language, set.CompletedBy, set.Practice, set.District, set.Patients));
        Assert.Empty(counts.Needs);
        Assert.Equal("old-response", Assert.Single(await Database().Measures.SetsToBackfillAsync(10, default)).ResponseId); // listed, to be taken after start-up
    }

    [Fact]
    public async Task AfterAnUpgradeTheServiceTakesTheFactsOfEarlierSetsInTheBackground()
    {
        await using (var first = new WmttyApp(dataDirectory: folder))
        {
            using var client = await first.ClientAsync();
            await Measures.OutcomePopulation.AddAsync(client, "pl", "connector", "2026-05-10T10:00:00Z", "Y00001", "LU1 3LU", Responses.TypicalAnswers());
        }

        using (var connection = Open())
        {
            // As a build before migration 12 left it: no facts, and the set on the list.
            connection.Execute("""
                DELETE FROM preference_need;
                UPDATE preference_response SET response_language = NULL, completed_by = NULL, gp_practice = NULL, postcode_district = NULL;
                INSERT INTO preference_measure_backfill (set_key) SELECT set_key FROM preference_response;
                INSERT INTO preference_measure_backfill (set_key) VALUES (999999);
                """);
        }

        await using var second = new WmttyApp(dataDirectory: folder);
        using var again = await second.ClientAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        long listed;
        do
        {
            await Task.Delay(50);
            using var check = Open();
            listed = check.ExecuteScalar<long>("SELECT COUNT(*) FROM preference_measure_backfill");
        }
        while (listed > 0 && waited.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(0, listed); // the set that no longer exists is gone from the list too
        var counts = await Database().Measures.CountAsync(new DateTimeOffset(2026, 5, 31, 0, 0, 0, TimeSpan.Zero), default);
        var set = Assert.Single(counts.Sets);
        Assert.Equal(("pl", "connector", "Y00001", "LU1"), (set.Language, set.CompletedBy, set.Practice, set.District));
        Assert.Contains(counts.Needs, n => (n.Need, n.Answer) == ("interpreter-language", "203901000000102"));
        Assert.Contains(counts.Needs, n => (n.Need, n.Answer) == ("diet", null)); // vegetarian: a need
    }

    // A database as a build that knew only the first migrations left it.
    private void MigrateTo(int version)
    {
        var dialect = new Wmtty.Data.Sqlite.SqliteDialect($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        Directory.CreateDirectory(folder);
        using var connection = Open();
        dialect.PrepareDatabase(connection);
        connection.Execute(dialect.EnsureSchemaVersionTableSql);
        foreach (var migration in new Migrator(dialect).Migrations.Where(m => m.Version <= version))
        {
            connection.Execute(migration.Sql);
            connection.Execute(dialect.RecordMigrationSql, new { migration.Version, migration.Description, AppliedUtc = "2026-01-01T00:00:00Z" });
        }
    }
}
