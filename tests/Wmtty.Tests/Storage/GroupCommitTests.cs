using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// SQLite writes commit in groups (WriteGroup): writes that queue behind a running group share the next
/// transaction. On a real file: a write that fails is undone alone, a caller who gives up while queued writes
/// nothing, and nothing is answered before its commit.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly string connectionString;
    private readonly StoreRetry retry;

    public GroupCommitTests()
    {
        Directory.CreateDirectory(folder);
        connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "group.db"), Pooling = false }.ToString();
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            connection.Execute("PRAGMA journal_mode = WAL; CREATE TABLE item (item_key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
        }

        retry = new StoreRetry(new SqliteDialect(connectionString), retries: 2, TimeSpan.FromMilliseconds(1), groupCommitWrites: 64);
    }

    public void Dispose()
    {
        WmttyApp.DeleteDataFolder(folder);
    }

    [Fact]
    public async Task WritesQueuedBehindAGroupShareTheNextCommit()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transactions = new System.Collections.Concurrent.ConcurrentBag<int>();
        var first = retry.WriteAsync(async (connection, transaction, _) =>
        {
            await InsertAsync(connection, transaction, "first");
            transactions.Add(RuntimeHelpers.GetHashCode(transaction));
            entered.SetResult();
            await gate.Task; // holds its group open while the others queue
            return 0;
        }, CancellationToken.None);
        await entered.Task;

        var queued = Enumerable.Range(0, 40).Select(i => retry.WriteAsync(async (connection, transaction, _) =>
        {
            await InsertAsync(connection, transaction, $"queued-{i}");
            transactions.Add(RuntimeHelpers.GetHashCode(transaction));
            return i;
        }, CancellationToken.None)).ToList();
        await Task.Delay(100);
        Assert.All(queued, q => Assert.False(q.IsCompleted)); // not answered before a commit that holds them
        Assert.Equal(0, await CountAsync()); // nothing committed yet: the first write's group is still open

        gate.SetResult();
        await first;
        Assert.Equal(Enumerable.Range(0, 40), await Task.WhenAll(queued));
        Assert.Equal(41, await CountAsync());
        Assert.InRange(transactions.Distinct().Count(), 2, 3); // the first group, then the 40 together (one may have slipped in early)
    }

    [Fact]
    public async Task AWriteThatFailsIsUndoneAloneAndTheRestOfItsGroupCommits()
    {
        await retry.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, "taken"), CancellationToken.None);
        var (blocker, gate) = await HoldAGroupOpenAsync();

        var writes = Enumerable.Range(0, 20).Select(i => retry.WriteAsync<int>(async (connection, transaction, _) =>
        {
            switch (i)
            {
                case 7: // writes, then fails: its row must go with it
                    await InsertAsync(connection, transaction, "half-done");
                    throw new InvalidOperationException("the request's own rule refused it");
                case 11: // a constraint error from the database
                    return await InsertAsync(connection, transaction, "taken");
                default:
                    return await InsertAsync(connection, transaction, $"ok-{i}");
            }
        }, CancellationToken.None)).ToList();
        gate.SetResult();
        await blocker;

        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[7]);
        var constraint = await Assert.ThrowsAsync<SqliteException>(() => writes[11]);
        Assert.Equal(19, constraint.SqliteErrorCode); // SQLITE_CONSTRAINT
        foreach (var (write, i) in writes.Select((w, i) => (w, i)).Where(x => x.i is not 7 and not 11))
        {
            await write;
        }

        var names = await NamesAsync();
        Assert.DoesNotContain("half-done", names);
        Assert.Equal(18, names.Count(n => n.StartsWith("ok-", StringComparison.Ordinal)));
        Assert.Single(names, "taken");
    }

    [Fact]
    public async Task AGroupRunsWithoutSavepointsAndRunsAgainWithThemOnlyWhenAFailedWriteHadChangedRows()
    {
        // A write refused before it changed anything (as a request that fails validation is) fails alone: no write runs twice.
        var refused = await RunGroupAsync(10, failing: 3, changesBeforeFailing: false);
        Assert.All(refused, r => Assert.Equal(1, r));

        // One that fails after inserting needs the transaction undone: the writes before it run again, each in its own
        // savepoint, and are stored once.
        var undone = await RunGroupAsync(10, failing: 5, changesBeforeFailing: true);
        Assert.Equal([2, 2, 2, 2, 2, 1, 1, 1, 1, 1], undone);

        var names = await NamesAsync();
        Assert.DoesNotContain("g2-5", names);
        Assert.Equal(9, names.Count(n => n.StartsWith("g1-", StringComparison.Ordinal)));
        Assert.Equal(9, names.Count(n => n.StartsWith("g2-", StringComparison.Ordinal))); // the UNIQUE name: a write stored twice would have failed
        await using var connection = new SqliteConnection(connectionString);
        Assert.Equal("ok", await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
    }

    private int groups;

    // Queues writes behind an open group, so that they run as one group in order; the one numbered failing throws.
    private async Task<int[]> RunGroupAsync(int count, int failing, bool changesBeforeFailing)
    {
        var group = ++groups;
        var (blocker, gate) = await HoldAGroupOpenAsync();
        var runs = new int[count];
        var writes = Enumerable.Range(0, count).Select(i => retry.WriteAsync<int>(async (connection, transaction, _) =>
        {
            Interlocked.Increment(ref runs[i]);
            if (i == failing)
            {
                if (changesBeforeFailing)
                {
                    await InsertAsync(connection, transaction, $"g{group}-{i}");
                }

                throw new InvalidOperationException("the request's own rule refused it");
            }

            return await InsertAsync(connection, transaction, $"g{group}-{i}");
        }, CancellationToken.None)).ToList();
        gate.SetResult();
        await blocker;
        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[failing]);
        await Task.WhenAll(writes.Where((_, i) => i != failing));
        return runs;
    }

    [Fact]
    public async Task ACallerWhoGivesUpWhileQueuedWritesNothing()
    {
        var (blocker, gate) = await HoldAGroupOpenAsync();

        using var giveUp = new CancellationTokenSource();
        var abandoned = retry.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, "abandoned"), giveUp.Token);
        var kept = retry.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, "kept"), CancellationToken.None);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        gate.SetResult();
        await blocker;
        await kept;
        var names = await NamesAsync();
        Assert.Contains("kept", names);
        Assert.DoesNotContain("abandoned", names);
    }

    [Fact]
    public async Task ManyConcurrentWritersAllCommitAndEachIsAnsweredWithItsOwnResult()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() =>
            retry.WriteAsync(async (connection, transaction, _) => (i, await InsertAsync(connection, transaction, $"w-{i}")), CancellationToken.None))));
        Assert.All(results, r => Assert.Equal(1, r.Item2));
        Assert.Equal(Enumerable.Range(0, 300), results.Select(r => r.i).Order());
        Assert.Equal(300, await CountAsync());
        await using var connection = new SqliteConnection(connectionString);
        Assert.Equal("ok", await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
    }

    // A write that holds its group open until the gate opens, so that writes sent meanwhile queue behind it.
    private async Task<(Task<int> Blocker, TaskCompletionSource Gate)> HoldAGroupOpenAsync()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = retry.WriteAsync(async (connection, transaction, _) =>
        {
            entered.SetResult();
            await gate.Task;
            return await InsertAsync(connection, transaction, $"blocker-{Guid.NewGuid():N}");
        }, CancellationToken.None);
        await entered.Task;
        return (blocker, gate);
    }

    [Fact]
    public async Task EachCommittedGroupReportsItsWritesItsTimesAndThePagesItWroteOnTheStorageMeter()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
        var recorded = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Wmtty.Storage")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            Assert.True(value >= 0, $"{instrument.Name}: {value}");
            recorded.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
        });
        listener.Start();

        // Other tests' writers report to the same meter meanwhile, so these are lower bounds.
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => retry.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, $"measured-{i}"), CancellationToken.None)));

        Assert.True(counts.GetValueOrDefault("wmtty.storage.writes") >= 30, $"writes: {counts.GetValueOrDefault("wmtty.storage.writes")}");
        Assert.True(counts.GetValueOrDefault("wmtty.storage.groups") >= 1);
        Assert.True(counts.GetValueOrDefault("wmtty.storage.pages_written") >= 1, "a commit that stored rows wrote pages");
        Assert.True(recorded.GetValueOrDefault("wmtty.storage.group.work") >= 1);
        Assert.True(recorded.GetValueOrDefault("wmtty.storage.group.commit") >= 1);
        Assert.Equal(30, await CountAsync());
    }

    [Fact]
    public async Task WithSyncAfterCommitTheCommitDoesNotSyncAndAWriteIsAnsweredOnlyWhenTheLogSyncAfterItSucceeds()
    {
        Assert.Equal(2, await retry.WriteAsync((connection, transaction, _) => connection.ExecuteScalarAsync<long>("PRAGMA synchronous", transaction: transaction), CancellationToken.None)); // FULL: SQLite syncs in the commit
        if (!OperatingSystem.IsLinux())
        {
            return; // syncs in the commit elsewhere
        }

        var deferred = new StoreRetry(new SqliteDialect(connectionString, syncAfterCommit: true), retries: 0, TimeSpan.FromMilliseconds(1), groupCommitWrites: 64);
        Assert.Equal(1, await deferred.WriteAsync((connection, transaction, _) => connection.ExecuteScalarAsync<long>("PRAGMA synchronous", transaction: transaction), CancellationToken.None)); // NORMAL
        Assert.Equal(Enumerable.Repeat(1, 30), await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            deferred.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, $"synced-{i}"), CancellationToken.None))));
        Assert.Equal(30, await CountAsync());

        // The log goes from under the writer, as a failing disk would refuse it: the next commit still succeeds in SQLite,
        // but its sync cannot be done, so the write is not answered as stored.
        File.Delete(Path.Combine(folder, "group.db-wal"));
        var unconfirmed = await Assert.ThrowsAsync<StoreUnavailableException>(() =>
            deferred.WriteAsync((connection, transaction, _) => InsertAsync(connection, transaction, "unconfirmed"), CancellationToken.None));
        Assert.Contains("may or may not have been stored", unconfirmed.Message);
    }

    private static Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, string name) =>
        connection.ExecuteAsync("INSERT INTO item (name) VALUES (@name)", new { name }, transaction);

    private async Task<long> CountAsync()
    {
        await using var connection = new SqliteConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM item");
    }

    private async Task<List<string>> NamesAsync()
    {
        await using var connection = new SqliteConnection(connectionString);
        return [.. await connection.QueryAsync<string>("SELECT name FROM item")];
    }
}
