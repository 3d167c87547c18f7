using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// SQLite reads go through a fixed number of connections kept open (SqliteReaders): never more at once, each opened before
/// any is used twice, the one given back last taken first, and a connection whose read failed closed and replaced. On a
/// real file; the open connections are counted from the process's own file descriptors, not from the pool's word.
/// </summary>
public sealed class SqliteReaderTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly string path;
    private readonly string connectionString;

    public SqliteReaderTests()
    {
        Directory.CreateDirectory(folder);
        path = Path.Combine(folder, "readers.db");
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        connection.Execute("PRAGMA journal_mode = WAL; CREATE TABLE item (item_key INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO item (name) VALUES ('one')");
    }

    public void Dispose() => WmttyApp.DeleteDataFolder(folder);

    [Fact]
    public async Task ManyReadsAtOnceUseNoMoreConnectionsThanTheCountAndTheRestWait()
    {
        var dialect = new SqliteDialect(connectionString, readers: 3);
        var retry = new StoreRetry(dialect, retries: 0, TimeSpan.FromMilliseconds(1));
        var running = 0;
        var most = 0;
        var filesMost = 0;
        var reads = Enumerable.Range(0, 40).Select(_ => Task.Run(() => retry.ReadAsync(async (connection, token) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            InterlockedMax(ref filesMost, OpenFiles());
            var name = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT name FROM item", cancellationToken: token));
            await Task.Delay(5, token);
            Interlocked.Decrement(ref running);
            return name;
        }, CancellationToken.None))).ToList();

        Assert.All(await Task.WhenAll(reads), name => Assert.Equal("one", name));
        Assert.Equal(3, most);
        Assert.InRange(filesMost, 1, 3);
        Assert.Equal(3, dialect.Readers.Open);
        Assert.Equal(3, OpenFiles());

        await retry.CloseAsync();
        Assert.Equal(0, dialect.Readers.Open);
        Assert.Equal(0, OpenFiles());
    }

    [Fact]
    public async Task EachConnectionIsOpenedBeforeAnyIsUsedTwiceThenTheOneGivenBackLastGoesFirst()
    {
        await using var readers = new SqliteReaders(connectionString, 4);
        var seen = new List<SqliteConnection>();
        for (var i = 0; i < 8; i++)
        {
            var connection = await readers.TakeAsync(CancellationToken.None);
            seen.Add(connection);
            readers.Return(connection, healthy: true);
        }

        Assert.Equal(4, seen.Take(4).Distinct().Count());
        Assert.All(seen.Skip(4), connection => Assert.Same(seen[3], connection));
        Assert.Equal(4, OpenFiles());

        var first = await readers.TakeAsync(CancellationToken.None);
        var second = await readers.TakeAsync(CancellationToken.None);
        Assert.Same(seen[3], first);
        Assert.Same(seen[2], second);
        readers.Return(second, healthy: true);
        Assert.Same(second, await readers.TakeAsync(CancellationToken.None));
        readers.Return(second, healthy: true);
        readers.Return(first, healthy: true);
    }

    [Fact]
    public async Task AConnectionWhoseReadFailedIsClosedAndAnotherOpenedInItsPlace()
    {
        var dialect = new SqliteDialect(connectionString, readers: 1);
        var retry = new StoreRetry(dialect, retries: 0, TimeSpan.FromMilliseconds(1));
        SqliteConnection? failed = null;
        await Assert.ThrowsAsync<SqliteException>(() => retry.ReadAsync<long>(async (connection, token) =>
        {
            failed = (SqliteConnection)connection;
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT nothing FROM nowhere", cancellationToken: token));
        }, CancellationToken.None));

        Assert.Equal(System.Data.ConnectionState.Closed, failed!.State);
        Assert.Equal(0, OpenFiles());

        SqliteConnection? next = null;
        var name = await retry.ReadAsync((connection, token) =>
        {
            next = (SqliteConnection)connection;
            return connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT name FROM item", cancellationToken: token));
        }, CancellationToken.None);
        Assert.Equal("one", name);
        Assert.NotSame(failed, next);
        Assert.Equal(1, OpenFiles());
        await retry.CloseAsync();
    }

    [Fact]
    public async Task AReadGivenUpWhileWaitingTakesNoPlace()
    {
        await using var readers = new SqliteReaders(connectionString, 2);
        var first = await readers.TakeAsync(CancellationToken.None);
        var second = await readers.TakeAsync(CancellationToken.None);
        using (var giveUp = new CancellationTokenSource())
        {
            var waiting = readers.TakeAsync(giveUp.Token).AsTask();
            await Task.Delay(20);
            Assert.False(waiting.IsCompleted);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        var third = readers.TakeAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        readers.Return(first, healthy: true);
        Assert.Same(first, await third);
        readers.Return(second, healthy: true);
        readers.Return(first, healthy: true);

        // Both places are free again: two reads at once without waiting.
        var a = readers.TakeAsync(CancellationToken.None);
        var b = readers.TakeAsync(CancellationToken.None);
        Assert.True(a.IsCompleted && b.IsCompleted);
        readers.Return(await a, healthy: true);
        readers.Return(await b, healthy: true);
        Assert.Equal(2, readers.Open);
    }

    [Fact]
    public async Task AConnectionGivenBackAfterTheReadersCloseIsClosedToo()
    {
        var readers = new SqliteReaders(connectionString, 2);
        var inUse = await readers.TakeAsync(CancellationToken.None);
        readers.Return(await readers.TakeAsync(CancellationToken.None), healthy: true);
        await readers.DisposeAsync();
        Assert.Equal(1, OpenFiles());

        readers.Return(inUse, healthy: true);
        Assert.Equal(System.Data.ConnectionState.Closed, inUse.State);
        Assert.Equal(0, OpenFiles());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => readers.TakeAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task TheServiceReadsThroughAsManyConnectionsAsConfiguredAndRefusesAnImpossibleNumber()
    {
        Assert.Equal(Math.Clamp(8 * Environment.ProcessorCount, 16, 64), new StorageOptions().SqliteReaderCount);
        foreach (var wrong in new[] { 0, -1, 1025 })
        {
            var error = Assert.Throws<InvalidOperationException>(() => WmttyDatabase.Create(new StorageOptions { SqliteReaders = wrong }, connectionString));
            Assert.Contains("Storage:SqliteReaders", error.Message);
        }

        await using var database = WmttyDatabase.Create(new StorageOptions { SqliteReaders = 2 }, new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        Assert.Equal(2, ((SqliteDialect)database.Dialect).Readers.Count);
    }

    // File descriptors this process holds on the database file itself (each SQLite connection holds one).
    private int OpenFiles() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd =>
        {
            try
            {
                return fd.LinkTarget == path;
            }
            catch (IOException)
            {
                return false; // closed meanwhile
            }
        });

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }
}
