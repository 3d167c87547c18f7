using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>The EHR's hot path reads one patient's rows by key: SQLite's plan for it never scans a table.</summary>
public sealed class QueryPlanTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        WmttyApp.DeleteDataFolder(folder);
    }

    [Fact]
    public void CurrentPreferencesAreReadByPrimaryKeyAndUniqueIndexWithoutAScan()
    {
        WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null).Migrate();
        var dialect = new SqliteDialect($"Data Source={Path.Combine(folder, "wmtty.db")}");
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();

        var plan = connection.Query<(long Id, long Parent, long NotUsed, string Detail)>(
            "EXPLAIN QUERY PLAN " + dialect.CurrentPreferencesSql, new { PatientId = "p" }).Select(r => r.Detail).ToList();
        Assert.Contains("SEARCH preference_response USING COVERING INDEX ix_preference_response_patient (patient_id=?)", plan);
        Assert.Contains("SEARCH o USING PRIMARY KEY (set_key=?)", plan);
        Assert.Contains(plan, d => d.StartsWith("SEARCH r USING INDEX ux_resource_current", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.StartsWith("SCAN", StringComparison.Ordinal) && d != "SCAN s"); // s: the one row of the latest set

        var tokens = connection.Query<(long Id, long Parent, long NotUsed, string Detail)>(
            "EXPLAIN QUERY PLAN " + dialect.PreferenceTokensSql(3), new { k0 = 1L, k1 = 2L, k2 = 3L }).Select(r => r.Detail).ToList();
        Assert.Contains(tokens, d => d.StartsWith("SEARCH t USING INDEX ix_token_resource (resource_key=?)", StringComparison.Ordinal));
        Assert.Contains("SEARCH p USING INTEGER PRIMARY KEY (rowid=?)", tokens);
        Assert.Contains("SEARCH s USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN", tokens);
        Assert.Equal(3, tokens.Count);
    }

    /// <summary>
    /// A search for one patient's records of a category starts from that patient's few rows, by key, and tests each
    /// against the category through the per-resource index: neither walking every Observation in key order nor listing
    /// every Observation of the category, so it takes the same time in a database of a thousand patients or a million.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APatientsSearchStartsFromThePatientAndNeverWalksTheType(bool count)
    {
        WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null).Migrate();
        var dialect = new SqliteDialect($"Data Source={Path.Combine(folder, "wmtty.db")}");
        var query = new Wmtty.Data.Search.SearchQuery("Observation") { Withholding = new Wmtty.Data.Search.Withholding("category", ["clinician"]) }
            .Where(new Wmtty.Data.Search.ReferenceCondition("patient", "Patient", "p1"))
            .Where(new Wmtty.Data.Search.TokenCondition("category", null, "care-preferences"))
            .Where(new Wmtty.Data.Search.DateCondition("date", Wmtty.Data.Search.Comparator.Ge, 1, 2));
        var search = new Wmtty.Data.Search.SearchSql(dialect);
        var (sql, parameters) = count ? search.Count(query) : search.Page(query, 51);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();

        var plan = connection.Query<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters).Select(r => r.Detail).ToList();
        Assert.True(plan.Contains("SEARCH r USING INTEGER PRIMARY KEY (rowid=?)"), string.Join("\n", plan));
        Assert.Contains(plan, d => d.StartsWith("SEARCH x USING COVERING INDEX ix_reference_target", StringComparison.Ordinal));
        Assert.Contains("SEARCH t EXISTS USING INDEX ix_token_resource (resource_key=?)", plan);
        Assert.Contains("SEARCH d EXISTS USING INDEX ix_date_resource (resource_key=?)", plan);
        Assert.DoesNotContain(plan, d => d.Contains("ix_resource_live", StringComparison.Ordinal));

        // The withheld sections are looked up by every column of the lookup index, this resource's key included: no listing.
        Assert.All(plan.Where(d => d.Contains("ix_token_lookup", StringComparison.Ordinal)), d => Assert.Contains("resource_key=?", d, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [Fact]
    public void OnlyAReferenceToOneRecordOfFewDependentsLeadsTheSearch()
    {
        static Wmtty.Data.Search.SearchQuery Query(params Wmtty.Data.Search.SearchCondition[] clauses)
        {
            var query = new Wmtty.Data.Search.SearchQuery("QuestionnaireResponse");
            foreach (var clause in clauses)
            {
                query.Where(clause);
            }

            return query;
        }

        var status = new Wmtty.Data.Search.TokenCondition("status", null, "completed");
        Assert.Equal(1, Wmtty.Data.Search.SearchSql.DriverClause(Query(status, new Wmtty.Data.Search.ReferenceCondition("subject", "Patient", "p1"))));
        Assert.Equal(-1, Wmtty.Data.Search.SearchSql.DriverClause(Query(status, new Wmtty.Data.Search.ReferenceCondition("questionnaire", "Questionnaire", "q1"))));
        Assert.Equal(-1, Wmtty.Data.Search.SearchSql.DriverClause(Query(status)));
        Assert.Equal(-1, Wmtty.Data.Search.SearchSql.DriverClause(Query(new Wmtty.Data.Search.IdCondition("r1"), new Wmtty.Data.Search.ReferenceCondition("subject", "Patient", "p1"))));
        var either = new Wmtty.Data.Search.SearchQuery("Observation").Where(new Wmtty.Data.Search.ReferenceCondition("subject", "Patient", "p1"), new Wmtty.Data.Search.ReferenceCondition("subject", "Patient", "p2"));
        Assert.Equal(-1, Wmtty.Data.Search.SearchSql.DriverClause(either)); // an OR of two: left to the planner
    }
    /// <summary>
    /// The outcome figures read every set once, whatever the months asked for, in the patient index's order (no sort), and
    /// each set's needs by primary key.
    /// </summary>
    [Fact]
    public void TheOutcomeFiguresReadTheSetsOnceInPatientOrderWithoutSorting()
    {
        WmttyDatabase.Create(new StorageOptions { DataDirectory = folder }, connectionString: null).Migrate();
        var dialect = new SqliteDialect($"Data Source={Path.Combine(folder, "wmtty.db")}");
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        connection.Open();
        var plan = connection.Query<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + dialect.MeasureSetsSql, new { Last = 3L }).Select(r => r.Detail).ToList();
        Assert.Contains(plan, d => d.StartsWith("SCAN r USING INDEX ix_preference_response_patient", StringComparison.Ordinal));
        Assert.Contains(plan, d => d.StartsWith("SEARCH n USING PRIMARY KEY (set_key=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
