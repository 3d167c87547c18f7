using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The writer connection keeps Dapper's inserts, updates and deletes prepared and runs them again with new values
/// (PreparingConnection). On a real file: every run stores its own values, the provider's own statements (commit,
/// savepoints, rollback) still work, and the statements do not outlive the connection.
/// </summary>
public sealed class PreparingConnectionTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly string connectionString;

    public PreparingConnectionTests()
    {
        Directory.CreateDirectory(folder);
        connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "prepared.db") }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        connection.Execute("PRAGMA journal_mode = WAL; CREATE TABLE item (item_key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER NULL)");
        connection.Execute("CREATE TABLE row_a (name TEXT NOT NULL UNIQUE, size INTEGER NULL, flag INTEGER NULL, data BLOB NULL); CREATE TABLE row_b AS SELECT * FROM row_a WHERE 0");
        connection.Execute("CREATE UNIQUE INDEX ux_row_b ON row_b (name)");
    }

    public void Dispose() => WmttyApp.DeleteDataFolder(folder);

    [Fact]
    public async Task OneStatementRunManyTimesIsPreparedOnceAndStoresEachRunsOwnValues()
    {
        await using var connection = new PreparingConnection(connectionString);
        await connection.OpenAsync();
        await using (var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false))
        {
            for (var i = 0; i < 50; i++)
            {
                var key = await connection.ExecuteScalarAsync<long>("INSERT INTO item (name, size) VALUES (@Name, @Size) RETURNING item_key",
                    new { Name = $"item-{i}", Size = i % 3 == 0 ? (int?)null : i }, transaction);
                Assert.Equal(i + 1, key);
            }

            // Named parameters in another order, and a batch with its own names.
            Assert.Equal(1, await connection.ExecuteAsync("UPDATE item SET size = @Size WHERE name = @Name", new { Size = 999, Name = "item-3" }, transaction));
            Assert.Equal(1, await connection.ExecuteAsync("UPDATE item SET size = @Size WHERE name = @Name", new { Name = "item-4", Size = 444 }, transaction));
            var batch = new DynamicParameters();
            batch.Add("r0_0", "batch-a");
            batch.Add("@r1_0", "batch-b"); // given with its prefix: kept as it is
            Assert.Equal(2, await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@r0_0), (@r1_0)", batch, transaction));
            await transaction.CommitAsync();
        }

        Assert.Equal(3, connection.PreparedCount);
        using var reader = new SqliteConnection(connectionString);
        var rows = (await reader.QueryAsync<(string Name, long? Size)>("SELECT name, size FROM item ORDER BY item_key")).ToList();
        Assert.Equal(52, rows.Count);
        Assert.Equal(("item-1", 1L), (rows[1].Name, rows[1].Size));
        Assert.Null(rows[0].Size);
        Assert.Equal(999L, rows[3].Size);
        Assert.Equal(444L, rows[4].Size);
        Assert.Equal(49L, rows[49].Size);
        Assert.Equal(["batch-a", "batch-b"], rows.Skip(50).Select(r => r.Name));
    }

    [Fact]
    public async Task SavepointsRollbackAndCommandsWithoutATransactionArgumentWorkAsOnAnyConnection()
    {
        await using var connection = new PreparingConnection(connectionString);
        await connection.OpenAsync();
        await using (var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false))
        {
            await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "kept" }, transaction);
            await transaction.SaveAsync("one");
            await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "undone" }, transaction);
            await transaction.RollbackAsync("one");
            await transaction.ReleaseAsync("one");

            // Without the transaction argument, the command joins the connection's transaction, as the provider's own do.
            await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "joined" });
            await Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "kept" }, transaction));
            await transaction.CommitAsync();
        }

        await using (var transaction = connection.BeginTransaction())
        {
            await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "rolled back" }, transaction);
        } // disposed without a commit: rolled back

        // Outside any transaction, the same prepared statement commits on its own.
        await connection.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "alone" });
        Assert.Equal(["kept", "joined", "alone"], await connection.QueryAsync<string>("SELECT name FROM item ORDER BY item_key"));
    }

    [Fact]
    public async Task PastTheLimitStatementsRunOnceAndTheCacheDiesWithTheConnection()
    {
        var connection = new PreparingConnection(connectionString);
        await connection.OpenAsync();
        for (var i = 0; i < 600; i++)
        {
            // 600 different texts: the first 512 are kept, the rest run once; all are stored.
            await connection.ExecuteAsync($"INSERT INTO item (name, size) VALUES (@Name, {i})", new { Name = $"n{i}" });
        }

        Assert.Equal(512, connection.PreparedCount);
        await connection.ExecuteAsync("INSERT INTO item (name, size) VALUES (@Name, 0)", new { Name = "again" });
        Assert.Equal(512, connection.PreparedCount);
        await connection.DisposeAsync();
        Assert.Equal(0, connection.PreparedCount);

        // The pooled handle it leaves behind works for the next connection, prepared or not.
        await using var next = new PreparingConnection(connectionString);
        await next.OpenAsync();
        await next.ExecuteAsync("INSERT INTO item (name) VALUES (@Name)", new { Name = "after" });
        Assert.Equal(1, next.PreparedCount);
        Assert.Equal(602, await next.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM item"));
        Assert.Equal(601, await next.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM item WHERE size IS NOT NULL"));
    }

    [Fact]
    public async Task RowsInsertedThroughTheWritersOwnStatementsAreStoredAsTheBatchedInsertsStoreThem()
    {
        var dialect = new SqliteDialect(connectionString);
        object?[][] rows =
        [
            ["text", 42L, true, new byte[] { 0, 1, 255 }],
            ["ünïcødé ✓ 𝄞", 7, false, null],
            ["nulls", null, null, Array.Empty<byte>()],
            ["long", long.MaxValue, null, null],
        ];

        // The same rows through Dapper's batched statements on a plain connection, and through the writer's own.
        await using (var plain = new SqliteConnection(connectionString))
        {
            await plain.OpenAsync();
            await using var transaction = await plain.BeginTransactionAsync();
            await RowBatches.InsertAsync(dialect, plain, transaction, new RowTable("row_a", ["name", "size", "flag", "data"]), rows, r => r);
            await transaction.CommitAsync();
        }

        await using var connection = new PreparingConnection(connectionString);
        await connection.OpenAsync();
        await using (var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false))
        {
            var table = new RowTable("row_b", ["name", "size", "flag", "data"]);
            await RowBatches.InsertAsync(dialect, connection, transaction, table, rows, r => r);

            // A duplicate key fails as the provider reports it; the rows before it in the same call stay, and the statement
            // works for the next call.
            var conflict = await Assert.ThrowsAsync<SqliteException>(() =>
                RowBatches.InsertAsync(dialect, connection, transaction, table, new object?[][] { ["before", 1L, null, null], ["text", 2L, null, null] }, r => r));
            Assert.Equal(2067, conflict.SqliteExtendedErrorCode); // SQLITE_CONSTRAINT_UNIQUE, which IsUniqueViolation looks for
            await RowBatches.InsertAsync(dialect, connection, transaction, table, new object?[][] { ["after", 3L, null, null] }, r => r);

            // Where the table says so, duplicates are skipped instead.
            await RowBatches.InsertAsync(dialect, connection, transaction, new RowTable("row_b", ["name", "size", "flag", "data"], IgnoreDuplicates: true),
                new object?[][] { ["after", 4L, null, null] }, r => r);

            await Assert.ThrowsAsync<ArgumentException>(() => RowBatches.InsertAsync(dialect, connection, transaction, table, new object?[][] { ["too few"] }, r => r));
            await Assert.ThrowsAsync<ArgumentException>(() =>
                RowBatches.InsertAsync(dialect, connection, transaction, table, new object?[][] { ["a date", DateTime.UtcNow, null, null] }, r => r));
            await transaction.CommitAsync();
        }

        Assert.Equal(2, connection.PreparedCount); // one statement for each of the two texts (with and without OR IGNORE)
        const string Select = "SELECT name, size, flag, typeof(size) || typeof(flag) || typeof(data) AS types, hex(data) AS data FROM {0} WHERE name IN ('text', 'ünïcødé ✓ 𝄞', 'nulls', 'long') ORDER BY name";
        var batched = (await connection.QueryAsync<(string, long?, long?, string, string)>(string.Format(System.Globalization.CultureInfo.InvariantCulture, Select, "row_a"))).ToList();
        var own = (await connection.QueryAsync<(string, long?, long?, string, string)>(string.Format(System.Globalization.CultureInfo.InvariantCulture, Select, "row_b"))).ToList();
        Assert.Equal(4, own.Count);
        Assert.Equal(batched, own);
        Assert.Equal(["after", "before", "long", "nulls", "text", "ünïcødé ✓ 𝄞"], await connection.QueryAsync<string>("SELECT name FROM row_b ORDER BY name"));
        Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT size FROM row_b WHERE name = 'after'"));
    }
}
