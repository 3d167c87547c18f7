using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;

namespace Wmtty.Data.Sqlite;

/// <summary>
/// The connections SQLite reads go through: a fixed number, each opened the first time it is needed and then kept open;
/// every one is opened before any is used twice, and after that the one given back last is taken first. At most that
/// many reads run at once; the rest wait here.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite's own pool opens another connection whenever every open one is busy, without limit, and closes
/// those left idle for a few minutes. Under steady load the number open crept up with each new peak of concurrent reads,
/// and with it the memory SQLite holds, since each connection has its own schema, statements and page cache: in a
/// 10-minute soak the pool went from 8 connections to 13 and SQLite's memory from 23 to 33 MB, which never stopped
/// looking like growth (bench/README.md, "The soak"). Here the number is fixed and every connection has been used by the
/// first reads, so that memory is taken at once, not over minutes, and an overload's burst cannot open hundreds. The one
/// given back last goes first, as in the driver's pool, because its pages are still in the processor's caches: taking
/// them in turn instead cost <c>$lastn</c> 5% against the driver's pool (B/A 1.055, 7 pairs of 8; last first: 1.016,
/// 5 of 8). A read that
/// fails for any reason gives its connection up to be closed, and the next read to need one opens another in its place.
/// </remarks>
internal sealed class SqliteReaders(string connectionString, int count) : IAsyncDisposable
{
    private readonly SemaphoreSlim free = new(count, count);
    private readonly ConcurrentStack<SqliteConnection> idle = new();
    private int open;
    private volatile bool closed;

    /// <summary>The most connections open, and reads under way, at once.</summary>
    public int Count => count;

    /// <summary>Connections open now, in use or idle.</summary>
    public int Open => Volatile.Read(ref open);

    /// <summary>An open connection, for one read; waits while <see cref="Count"/> reads are under way. Give it back with <see cref="Return"/>.</summary>
    public async ValueTask<SqliteConnection> TakeAsync(CancellationToken cancellationToken)
    {
        await free.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(closed, this);

            // While fewer than Count are open, a new one, so that all of them are open before any is used twice.
            SqliteConnection? connection = null;
            if (Interlocked.Increment(ref open) > count)
            {
                Interlocked.Decrement(ref open);
                if (!idle.TryPop(out connection))
                {
                    Interlocked.Increment(ref open); // another read counted itself in first
                }
            }

            if (connection is null)
            {
                connection = new SqliteConnection(connectionString);
                try
                {
                    await connection.OpenAsync(cancellationToken);
                }
                catch
                {
                    Interlocked.Decrement(ref open);
                    await connection.DisposeAsync();
                    throw;
                }
            }

            return connection;
        }
        catch
        {
            free.Release();
            throw;
        }
    }

    /// <summary>
    /// Gives back a connection from <see cref="TakeAsync"/>. One whose read failed (<paramref name="healthy"/> false), or
    /// that is no longer open, is closed instead of kept.
    /// </summary>
    public void Return(SqliteConnection connection, bool healthy)
    {
        if (healthy && !closed && connection.State == ConnectionState.Open)
        {
            idle.Push(connection);
        }
        else
        {
            Interlocked.Decrement(ref open);
            connection.Dispose();
        }

        free.Release();
        if (closed)
        {
            CloseIdle();
        }
    }

    /// <summary>Closes every idle connection now, and each one in use when it is given back.</summary>
    public ValueTask DisposeAsync()
    {
        closed = true;
        CloseIdle();
        return ValueTask.CompletedTask;
    }

    private void CloseIdle()
    {
        while (idle.TryPop(out var connection))
        {
            Interlocked.Decrement(ref open);
            connection.Dispose();
        }
    }
}
