using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;

namespace Wmtty.Data.Storage;

/// <summary>
/// Group commit, for a database with one writer at a time (SQLite): writes that arrive while another
/// group is being written queue up, and the next group runs them one after another in one transaction,
/// with one commit (one fsync) for all of them.
/// <list type="bullet">
/// <item>A write that fails fails alone; the others still commit. A write that fails before changing a row needs
/// nothing undone. One that fails after changing rows sends the group round again, each write in a savepoint of
/// its own (<see cref="WriteAllAsync"/>).</item>
/// <item>No write is answered before the commit that holds it is durable: each caller waits for its group's commit,
/// and if that commit fails, every write in the group fails (and was not stored). Where the dialect syncs after the
/// commit (<see cref="SqlDialect.SyncsAfterCommit"/>), the writer goes on to the next group while the log is synced,
/// and the group's writes are answered when that sync is done; one sync covers every commit made before it began.</item>
/// <item>Writes inside a group are not cancelled part-way: SQLite answers an interrupted statement in an explicit
/// transaction by rolling back the whole transaction, other callers' writes included. A write still queued
/// when its caller gives up is skipped.</item>
/// </list>
/// On a database that takes many writers (SQL Server), writes do not go through here.
/// </summary>
internal sealed class WriteGroup(SqlDialect dialect, int maxWrites)
{
    private readonly ConcurrentQueue<Pending> queue = new();
    private readonly SemaphoreSlim turn = new(1, 1);
    private const long CheckpointEveryMilliseconds = 500;
    private DbConnection? writer; // used only while holding turn
    private long lastCheckpoint = Environment.TickCount64;
    private Task checkpoint = Task.CompletedTask; // the latest one started: one at a time, and CloseAsync waits for it
    private bool closed; // no checkpoints after CloseAsync
    private readonly LogSync logSync = new();
    private Action? syncLog; // for the writer connection's database, with SyncsAfterCommit

    /// <summary>Runs <paramref name="write"/> in the next group and completes when that group has committed.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        var pending = new Pending(async (connection, transaction) => await write(connection, transaction, CancellationToken.None), cancellationToken);
        queue.Enqueue(pending);
        while (!pending.Taken)
        {
            try
            {
                await turn.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (pending.TryCancel())
            {
                throw; // gave up before any group took it
            }
            catch (OperationCanceledException)
            {
                break; // a group has it already: its outcome stands
            }

            try
            {
                if (!pending.Taken)
                {
                    await RunGroupAsync();
                }
            }
            finally
            {
                turn.Release();
            }
        }

        return (T)(await pending.Done.Task)!;
    }

    // Takes up to maxWrites queued writes (this caller's among them, unless a full group went first) and writes them in one transaction.
    private async Task RunGroupAsync()
    {
        var group = new List<Pending>(Math.Min(maxWrites, queue.Count + 1));
        while (group.Count < maxWrites && queue.TryDequeue(out var next))
        {
            if (next.TryStart())
            {
                group.Add(next);
            }
        }

        if (group.Count == 0)
        {
            return;
        }

        List<(Pending Write, object? Result)> written;
        try
        {
            var connection = await WriterAsync();
            written = await WriteAllAsync(connection, group, savepoints: false)
                ?? await WriteAllAsync(connection, [.. group.Where(w => !w.Done.Task.IsCompleted)], savepoints: true)
                ?? throw new InvalidOperationException("A write group with a savepoint for every write needs no second run.");
        }
        catch (Exception exception)
        {
            // Nothing in this group was stored (or, after a failed commit, it is not known): each write fails with
            // the reason. The next group starts on a new connection.
            await CloseWriterAsync();
            foreach (var write in group)
            {
                write.Done.TrySetException(exception);
            }

            return;
        }

        if (written.Count > 0 && syncLog is { } sync)
        {
            _ = AnswerWhenDurableAsync(logSync.SyncAsync(sync), written);
        }
        else
        {
            Answer(written);
        }

        if (written.Count > 0)
        {
            StartCheckpoint();
        }
    }

    private static void Answer(List<(Pending Write, object? Result)> written)
    {
        foreach (var (write, result) in written)
        {
            write.Done.TrySetResult(result);
        }
    }

    // Off the writer's turn: the next group runs meanwhile.
    private static async Task AnswerWhenDurableAsync(Task synced, List<(Pending Write, object? Result)> written)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            await synced;
            WriterMetrics.Sync.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception exception)
        {
            var failure = new StoreUnavailableException("The database committed the change, but the disk did not confirm it was written, so it may or may not have been stored.", exception);
            foreach (var (write, _) in written)
            {
                write.Done.TrySetException(failure);
            }

            return;
        }

        Answer(written);
    }

    /// <summary>
    /// Runs the writes one after another in one transaction and commits it. Without <paramref name="savepoints"/>,
    /// a write that fails before it changed a row fails alone, as with one; a write that fails after changing rows
    /// could only be undone with everything else, so the transaction is rolled back, that write fails, and the
    /// answer is null: the rest of the group must run again, each write in a savepoint of its own. A savepoint copies
    /// every page its write changes first, which costs more than the rare second run (bench/README.md).
    /// </summary>
    private async Task<List<(Pending Write, object? Result)>?> WriteAllAsync(DbConnection connection, IReadOnlyList<Pending> writes, bool savepoints)
    {
        var written = new List<(Pending Write, object? Result)>(writes.Count);
        var started = Stopwatch.GetTimestamp();
        await using var transaction = dialect.BeginWriteTransaction(connection);
        foreach (var write in writes)
        {
            var changesBefore = RowsChanged(connection);
            if (savepoints)
            {
                await transaction.SaveAsync(Savepoint);
            }

            try
            {
                var result = await write.Write(connection, transaction);
                if (savepoints)
                {
                    await transaction.ReleaseAsync(Savepoint);
                }

                written.Add((write, result));
            }
            catch (Exception exception) when (exception is not DbException || !AbortsTransaction(connection))
            {
                if (savepoints)
                {
                    await transaction.RollbackAsync(Savepoint);
                    await transaction.ReleaseAsync(Savepoint);
                }
                else if (RowsChanged(connection) != changesBefore)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    write.Done.TrySetException(exception);
                    return null;
                }

                write.Done.TrySetException(exception);
            }
        }

        if (written.Count > 0)
        {
            var committing = Stopwatch.GetTimestamp();
            try
            {
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch (DbException exception)
            {
                throw new StoreUnavailableException("The database did not confirm the commit, so the change may or may not have been stored.", exception);
            }

            Measure(connection, written.Count, started, committing);
        }

        return written;
    }

    /// <summary>
    /// Waits for the running group and any checkpoint under way, then closes the writer connection (at shutdown). A
    /// checkpoint still running afterwards would open the database again after the shutdown's own checkpoint.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        await turn.WaitAsync();
        try
        {
            closed = true;
            await checkpoint.ContinueWith(static _ => { }, TaskScheduler.Default); // its end, not its outcome: a failed checkpoint is caught up later
            await logSync.IdleAsync(); // the log is synced for every group answered or still to be answered
            await CloseWriterAsync();
        }
        finally
        {
            turn.Release();
        }
    }

    // One connection writes every group: its page cache stays warm, where a pooled connection's cache is
    // dropped whenever another connection has committed.
    private async Task<DbConnection> WriterAsync()
    {
        if (writer is null)
        {
            var connection = dialect.CreateWriterConnection();
            try
            {
                await connection.OpenAsync(CancellationToken.None);
                if (dialect.WriterConnectionSql is { } setup)
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = setup;
                    await command.ExecuteNonQueryAsync(CancellationToken.None);
                }
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            writer = connection;
            syncLog = dialect.SyncsAfterCommit ? dialect.SyncLog(connection) : null;
        }

        return writer;
    }

    private async Task CloseWriterAsync()
    {
        if (writer is { } connection)
        {
            writer = null;
            await connection.DisposeAsync();
        }
    }

    // Copies committed pages from the write-ahead log into the database in the background, on a connection of its
    // own, at most every half second, so that groups do not wait for the copying (dialect.CheckpointAsync says how). The
    // writer connection's own automatic checkpoint (dialect.WriterConnectionSql) is the backstop.
    private void StartCheckpoint()
    {
        // Called only by a group, holding turn, as CloseAsync does: no other thread reads or starts one meanwhile.
        if (closed || Environment.TickCount64 - lastCheckpoint < CheckpointEveryMilliseconds || !checkpoint.IsCompleted)
        {
            return;
        }

        lastCheckpoint = Environment.TickCount64;
        checkpoint = Task.Run(async () =>
        {
            try
            {
                await using var connection = dialect.CreateMaintenanceConnection();
                await connection.OpenAsync(CancellationToken.None);
                await dialect.CheckpointAsync(connection);
            }
            catch (DbException)
            {
                // Busy or failed: the next one, or the writer's own automatic checkpoint, catches up.
            }
        });
    }

    private static void Measure(DbConnection connection, int writes, long started, long committing)
    {
        WriterMetrics.Writes.Add(writes);
        WriterMetrics.Groups.Add(1);
        WriterMetrics.Work.Record(Stopwatch.GetElapsedTime(started, committing).TotalMilliseconds);
        WriterMetrics.Commit.Record(Stopwatch.GetElapsedTime(committing).TotalMilliseconds);
        if (WriterMetrics.PagesWritten.Enabled && connection is Microsoft.Data.Sqlite.SqliteConnection sqlite)
        {
            // Since the last reading, which this one resets: this group's commit (and any rolled-back run before it).
            SQLitePCL.raw.sqlite3_db_status(sqlite.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var pages, out _, 1);
            WriterMetrics.PagesWritten.Add(pages);
        }
    }

    private const string Savepoint = "wmtty_write";

    // Rows inserted, updated or deleted on the connection so far, by statements that completed (a statement that fails is
    // rolled back and counts none).
    private static long RowsChanged(DbConnection connection) =>
        SQLitePCL.raw.sqlite3_total_changes(((Microsoft.Data.Sqlite.SqliteConnection)connection).Handle);

    // Some errors (a full disk, an I/O error) end the whole transaction, not just the statement; then the group cannot go on.
    private static bool AbortsTransaction(DbConnection connection) =>
        connection is Microsoft.Data.Sqlite.SqliteConnection sqlite && SQLitePCL.raw.sqlite3_get_autocommit(sqlite.Handle) != 0;

    private sealed class Pending(Func<DbConnection, DbTransaction, Task<object?>> write, CancellationToken cancellationToken)
    {
        private const int Queued = 0, Started = 1, Cancelled = 2;
        private int state;

        public Func<DbConnection, DbTransaction, Task<object?>> Write { get; } = write;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A group took the write, or its caller gave up: either way no group will take it now.</summary>
        public bool Taken => Volatile.Read(ref state) != Queued;

        /// <summary>A group takes the write, unless its caller already gave up.</summary>
        public bool TryStart()
        {
            if (cancellationToken.IsCancellationRequested && TryCancel())
            {
                return false;
            }

            return Interlocked.CompareExchange(ref state, Started, Queued) == Queued;
        }

        /// <summary>The caller gives up, unless a group already took the write.</summary>
        public bool TryCancel()
        {
            if (Interlocked.CompareExchange(ref state, Cancelled, Queued) != Queued)
            {
                return false;
            }

            Done.TrySetCanceled(cancellationToken);
            return true;
        }
    }

    /// <summary>
    /// Syncs the log, one sync at a time on a thread of its own. A group that asks while a sync runs gets the next sync,
    /// which begins after its commit returned; every group that asked meanwhile shares that one.
    /// </summary>
    private sealed class LogSync
    {
        private readonly Lock gate = new();
        private Task idle = Task.CompletedTask; // the running loop, done when no sync runs
        private TaskCompletionSource? next; // for groups that asked while a sync ran
        private bool running;

        public Task SyncAsync(Action sync)
        {
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (gate)
            {
                if (running)
                {
                    next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return next.Task;
                }

                running = true;
                idle = Task.Factory.StartNew(() => Loop(sync, first), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            return first.Task;
        }

        public Task IdleAsync()
        {
            lock (gate)
            {
                return idle;
            }
        }

        private void Loop(Action sync, TaskCompletionSource current)
        {
            while (true)
            {
                try
                {
                    sync();
                    current.TrySetResult();
                }
                catch (Exception exception)
                {
                    current.TrySetException(exception);
                }

                lock (gate)
                {
                    if (next is null)
                    {
                        running = false;
                        return;
                    }

                    (current, next) = (next, null);
                }
            }
        }
    }
}
