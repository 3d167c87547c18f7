using System.Reflection;
using Microsoft.Data.SqlClient;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Wmtty.Data.Search;
using Wmtty.Data.Sqlite;
using Wmtty.Data.SqlServer;
using Wmtty.Data.Storage;

namespace Wmtty.Tests.Storage;

/// <summary>
/// No SQL Server runs here, so every T-SQL text the SQL Server provider can send is parsed with
/// SQL Server's own parser (ScriptDom, SQL Server 2022 grammar): each statement property and method of
/// the dialect, every shape of search it builds, every batched insert, and every migration batch.
/// </summary>
public sealed class TSqlSyntaxTests
{
    private static readonly SqlServerDialect Dialect = new("Server=tcp:localhost;Database=wmtty", SqlConfigurableRetryFactory.CreateNoneRetryProvider());

    private static IList<ParseError> Parse(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        parser.Parse(reader, out var errors);
        return errors;
    }

    private static void AssertParses(string what, string sql)
    {
        var errors = Parse(sql);
        Assert.True(errors.Count == 0, $"{what} is not valid T-SQL:\n{string.Join("\n", errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}"))}\n---\n{sql}");
    }

    [Fact]
    public void TheParserRefusesSqliteSyntax()
    {
        // The check can fail: SQLite's own texts are not T-SQL.
        var sqlite = new SqliteDialect("Data Source=:memory:");
        Assert.NotEmpty(Parse(sqlite.HistorySql));
        Assert.NotEmpty(Parse(sqlite.InsertVersionSql));
        Assert.NotEmpty(Parse(sqlite.InsertRowsSql(RowTable.Extracted, 2)));
        Assert.NotEmpty(Parse("SELECT resource_key AS Key FROM resource"));
    }

    public static TheoryData<string> StatementProperties()
    {
        var data = new TheoryData<string>();
        foreach (var property in typeof(SqlDialect).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(string) && p.Name != nameof(SqlDialect.Name) && p.Name != nameof(SqlDialect.MigrationResourceFolder)))
        {
            data.Add(property.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StatementProperties))]
    public void EveryStatementParses(string property)
    {
        var sql = (string?)typeof(SqlDialect).GetProperty(property)!.GetValue(Dialect);
        Assert.False(string.IsNullOrWhiteSpace(sql), $"{property} is empty for SQL Server.");
        AssertParses(property, sql!);
    }

    [Fact]
    public void StatementsBuiltFromArgumentsParse()
    {
        foreach (var keys in new[] { 1, 2, 30 })
        {
            AssertParses($"PreferenceTokensSql({keys})", Dialect.PreferenceTokensSql(keys));
        }

        AssertParses("AuditPageSql(byPatient)", Dialect.AuditPageSql(true, "@Limit"));
        AssertParses("AuditPageSql(all)", Dialect.AuditPageSql(false, "@Limit"));
    }

    [Fact]
    public void EveryBatchedInsertParses()
    {
        foreach (var table in RowTable.All)
        {
            var most = Dialect.RowsPerInsert(table.Columns.Count);
            Assert.True(most * table.Columns.Count <= 2100 && most <= 1000, $"{table.Name}: {most} rows a statement is more than SQL Server takes.");
            foreach (var rows in new[] { 1, 2, most })
            {
                AssertParses($"InsertRowsSql({table.Name}, {rows})", Dialect.InsertRowsSql(table, rows));
            }
        }
    }

    [Fact]
    public void EverySearchShapeParses()
    {
        var covered = new HashSet<Type>();
        foreach (var (name, query) in SearchShapes())
        {
            covered.UnionWith(query.Clauses.SelectMany(c => c).Select(c => c.GetType()));
            var search = new SearchSql(Dialect);
            AssertParses($"search '{name}' (page)", search.Page(query, 20).Sql);
            AssertParses($"search '{name}' (count)", search.Count(query).Sql);
        }

        // A new kind of condition must be added here, or this fails.
        var all = typeof(SearchCondition).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(SearchCondition)) && !t.IsAbstract);
        Assert.All(all, type => Assert.Contains(type, covered));
    }

    private static IEnumerable<(string Name, SearchQuery Query)> SearchShapes()
    {
        yield return ("type only", new SearchQuery("Patient"));
        yield return ("no json", new SearchQuery("Patient") { IncludeJson = false });
        yield return ("id", new SearchQuery("Patient").Where(new IdCondition("a"), new IdCondition("b")));
        foreach (var comparator in Enum.GetValues<Comparator>())
        {
            yield return ($"_lastUpdated {comparator}", new SearchQuery("Patient").Where(new LastUpdatedCondition(comparator, 1, 2)));
            yield return ($"date {comparator}", new SearchQuery("Observation").Where(new DateCondition("date", comparator, 1, 2)));
        }

        yield return ("token", new SearchQuery("Observation").Where(new TokenCondition("code", "http://loinc.org", "1-8")));
        yield return ("token, any system", new SearchQuery("Observation").Where(new TokenCondition("code", null, "1-8")));
        yield return ("token, no system", new SearchQuery("Observation").Where(new TokenCondition("code", null, "1-8", RequireNoSystem: true)));
        yield return ("token, system only", new SearchQuery("Observation").Where(new TokenCondition("code", "http://loinc.org", null)));
        yield return ("reference", new SearchQuery("Observation").Where(new ReferenceCondition("subject", "Patient", "p1"), new ReferenceCondition("subject", null, "p2")));
        yield return ("reference identifier", new SearchQuery("Observation").Where(new ReferenceIdentifierCondition("subject", "https://fhir.nhs.uk/Id/nhs-number", "9000000009", ["Patient"], "identifier")));
        yield return ("reference identifier, any system", new SearchQuery("Observation").Where(new ReferenceIdentifierCondition("subject", null, "9000000009", ["Patient", "Group"], "identifier")));
        foreach (var match in Enum.GetValues<StringMatch>())
        {
            yield return ($"string {match}", new SearchQuery("Patient").Where(new StringCondition("family", "o'brien_100%[x]\\", match)));
        }

        foreach (var sort in Enum.GetValues<SearchSort>())
        {
            yield return ($"sort {sort} after a cursor", new SearchQuery("Patient") { Sort = sort, After = new SearchCursor(1, 2) });
        }

        yield return ("patient compartment", new SearchQuery("Observation") { Compartment = "p1" });
        yield return ("withholding", new SearchQuery("Observation") { Withholding = new Withholding("category", ["clinician", "ehr"]) });
        yield return ("hidden where withheld", new SearchQuery("Observation") { HideWhereWithheld = new SectionWithheld("https://x/CodeSystem/s", "beliefs", ["clinician"]) });
        yield return ("everything at once", new SearchQuery("Observation")
        {
            Sort = SearchSort.LastUpdatedDescending,
            After = new SearchCursor(5, 6),
            Compartment = "p1",
            Withholding = new Withholding("category", ["clinician"]),
        }.Where(new TokenCondition("code", null, "a"), new TokenCondition("category", "s", "b")).Where(new DateCondition("date", Comparator.Ge, 1, 2)));
    }

    [Fact]
    public void EveryMigrationBatchParses()
    {
        var migrations = new Migrator(Dialect).Migrations;
        Assert.NotEmpty(migrations);
        Assert.Equal(new Migrator(new SqliteDialect("Data Source=:memory:")).Migrations.Select(m => (m.Version, m.Description)), migrations.Select(m => (m.Version, m.Description)));
        foreach (var migration in migrations)
        {
            var batches = Dialect.Batches(migration.Sql);
            Assert.NotEmpty(batches);
            Assert.All(batches, batch => Assert.DoesNotMatch(@"(?im)^\s*GO\s*$", batch));
            for (var i = 0; i < batches.Count; i++)
            {
                AssertParses($"migration {migration.Version} ({migration.Description}), batch {i + 1}", batches[i]);
            }
        }

        AssertParses("the migration lock", Dialect.MigrationLockSql);
    }

    [Fact]
    public void ABatchThatMustStandAloneIsSentAlone()
    {
        var access = new Migrator(Dialect).Migrations.Single(m => m.Description == "access");
        var batches = Dialect.Batches(access.Sql).Select(WithoutComments).ToList();

        // The column is added in a batch of its own, before the batch that fills it is compiled.
        Assert.Contains(batches, b => b == "ALTER TABLE resource ADD compartment NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;");
        var triggers = batches.Where(b => b.Contains("CREATE TRIGGER", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, triggers.Count);
        Assert.All(triggers, b => Assert.StartsWith("CREATE TRIGGER", b, StringComparison.Ordinal));
    }

    private static string WithoutComments(string batch) =>
        string.Join("\n", batch.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim();
}
