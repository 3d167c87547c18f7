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

    private static IEnumerable<string> StatementPropertyNames() =>
        typeof(SqlDialect).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) && p.Name != nameof(SqlDialect.Name) && p.Name != nameof(SqlDialect.MigrationResourceFolder)
                && !SqliteOnly.Contains(p.Name))
            .Select(p => p.Name);

    // The settings of the one writer connection and the background checkpoint of SQLite's group commit; SQL Server
    // takes many writers, so it sends neither.
    private static readonly string[] SqliteOnly = [nameof(SqlDialect.WriterConnectionSql), nameof(SqlDialect.ShutdownCheckpointSql)];

    [Fact]
    public void SqlServerSendsNoneOfSqlitesGroupCommitStatements()
    {
        Assert.False(Dialect.OneWriterAtATime);
        Assert.True(Dialect.CheckpointAsync(null!).IsCompletedSuccessfully); // no checkpoint work: it never touches the connection
        Assert.All(SqliteOnly, p => Assert.Null(typeof(SqlDialect).GetProperty(p)!.GetValue(Dialect)));
    }

    // Statements about the server's own catalogue (sys.*), which the migrations do not create.
    private static readonly string[] CatalogueStatements = [nameof(SqlDialect.SettingsAdviceSql)];

    public static TheoryData<string> StatementProperties() => new(StatementPropertyNames());

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
            AssertParses($"search '{name}' (versions)", Dialect.VersionsOfSql(search.Page(query, 20).Sql));
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

        yield return ("one patient, then each row tested by the other clauses", new SearchQuery("Observation") { Sort = SearchSort.LastUpdatedDescending, After = new SearchCursor(5, 6) }
            .Where(new ReferenceCondition("patient", "Patient", "p1"))
            .Where(new TokenCondition("category", null, "care-preferences"), new TokenCondition("code", "s", "c"))
            .Where(new ReferenceCondition("subject", null, "p2"), new ReferenceCondition("focus", "Goal", "g"))
            .Where(new DateCondition("date", Comparator.Ge, 1, 2))
            .Where(new StringCondition("value-string", "x", StringMatch.StartsWith)));
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

    /// <summary>Every statement text the provider sends, besides migrations.</summary>
    private static IEnumerable<(string What, string Sql)> AllStatements()
    {
        foreach (var name in StatementPropertyNames().Except(CatalogueStatements))
        {
            yield return (name, (string)typeof(SqlDialect).GetProperty(name)!.GetValue(Dialect)!);
        }

        yield return ("PreferenceTokensSql(3)", Dialect.PreferenceTokensSql(3));
        yield return ("AuditPageSql(byPatient)", Dialect.AuditPageSql(true, "@Limit"));
        yield return ("AuditPageSql(all)", Dialect.AuditPageSql(false, "@Limit"));
        foreach (var table in RowTable.All)
        {
            yield return ($"InsertRowsSql({table.Name})", Dialect.InsertRowsSql(table, 2));
        }

        foreach (var (name, query) in SearchShapes())
        {
            yield return ($"search '{name}'", new SearchSql(Dialect).Page(query, 20).Sql);
            yield return ($"count '{name}'", new SearchSql(Dialect).Count(query).Sql);
        }
    }

    /// <summary>
    /// ScriptDom checks syntax, not names. So the schema is read from the T-SQL migrations themselves,
    /// and every table and column a statement names must be in it: a statement and a migration that
    /// disagree fail here, not on the first production server.
    /// </summary>
    [Fact]
    public void EveryTableAndColumnNamedIsInTheMigratedSchema()
    {
        var schema = new SchemaReader();
        foreach (var migration in new Migrator(Dialect).Migrations)
        {
            foreach (var batch in Dialect.Batches(migration.Sql))
            {
                Fragment(batch).Accept(schema);
            }
        }

        Fragment(Dialect.EnsureSchemaVersionTableSql).Accept(schema);
        Assert.Contains("resource", schema.Tables.Keys);
        Assert.Contains("compartment", schema.Tables["resource"]); // added by ALTER TABLE in migration 3

        var problems = new List<string>();
        foreach (var (what, sql) in AllStatements())
        {
            var names = new NameCollector();
            Fragment(sql).Accept(names);
            problems.AddRange(names.Tables.Where(t => !schema.Tables.ContainsKey(t)).Select(t => $"{what}: no table '{t}'"));
            var columns = schema.Tables.Values.SelectMany(c => c).ToHashSet(StringComparer.Ordinal);
            problems.AddRange(names.Columns.Where(c => !columns.Contains(c)).Select(c => $"{what}: no column '{c}'"));
            problems.AddRange(names.Tables.Where(schema.Tables.ContainsKey).SelectMany(t => names.QualifiedColumns(t).Where(c => !schema.Tables[t].Contains(c)).Select(c => $"{what}: '{t}' has no column '{c}'")));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct()));

        // And the check can fail.
        var wrong = new NameCollector();
        Fragment("SELECT r.resource_kee FROM resourse r").Accept(wrong);
        Assert.Contains("resourse", wrong.Tables);
        Assert.Contains("resource_kee", wrong.Columns);
    }

    private static TSqlFragment Fragment(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var errors);
        Assert.Empty(errors);
        return fragment;
    }

    private sealed class SchemaReader : TSqlFragmentVisitor
    {
        public Dictionary<string, HashSet<string>> Tables { get; } = new(StringComparer.Ordinal);

        public override void Visit(CreateTableStatement node) =>
            Tables[node.SchemaObjectName.BaseIdentifier.Value] = [.. node.Definition.ColumnDefinitions.Select(c => c.ColumnIdentifier.Value)];

        public override void Visit(AlterTableAddTableElementStatement node) =>
            Tables[node.SchemaObjectName.BaseIdentifier.Value].UnionWith(node.Definition.ColumnDefinitions.Select(c => c.ColumnIdentifier.Value));
    }

    // The tables a statement names (with their aliases), and the columns, by the alias or table they are qualified with.
    private sealed class NameCollector : TSqlFragmentVisitor
    {
        private readonly Dictionary<string, string> aliases = new(StringComparer.Ordinal);
        private readonly List<(string? Qualifier, string Column)> references = [];
        private readonly HashSet<string> named = new(StringComparer.Ordinal);

        // What the statement defines itself: a WITH's tables, and the columns their queries name.
        private readonly HashSet<string> definedTables = new(StringComparer.Ordinal);
        private readonly HashSet<string> definedColumns = new(StringComparer.Ordinal);

        public HashSet<string> Tables => [.. named.Where(t => !definedTables.Contains(t))];

        public IEnumerable<string> Columns => references.Select(r => r.Column).Where(c => !definedColumns.Contains(c));

        public override void Visit(CommonTableExpression node)
        {
            definedTables.Add(node.ExpressionName.Value);
            if (node.QueryExpression is QuerySpecification query)
            {
                definedColumns.UnionWith(query.SelectElements.OfType<SelectScalarExpression>().Select(e => e.ColumnName?.Value).OfType<string>());
            }
        }

        public IEnumerable<string> QualifiedColumns(string table) =>
            references.Where(r => r.Qualifier is { } q && (q == table || (aliases.TryGetValue(q, out var aliased) && aliased == table))).Select(r => r.Column);

        public override void Visit(NamedTableReference node)
        {
            var name = node.SchemaObject.BaseIdentifier.Value;
            named.Add(name);
            if (node.Alias is { } alias)
            {
                aliases[alias.Value] = name;
            }
        }

        public override void Visit(MergeSpecification node)
        {
            if (node.TableAlias is { } alias && node.Target is NamedTableReference target)
            {
                aliases[alias.Value] = target.SchemaObject.BaseIdentifier.Value;
            }
        }

        public override void Visit(ColumnReferenceExpression node)
        {
            if (node.ColumnType == ColumnType.Regular && node.MultiPartIdentifier is { Count: > 0 } parts)
            {
                var qualifier = parts.Count > 1 ? parts[^2].Value : null;
                references.Add((qualifier is "INSERTED" or "inserted" ? null : qualifier, parts[^1].Value));
            }
        }
    }
}
