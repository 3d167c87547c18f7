using System.Data.Common;

namespace Wmtty.Data.Storage;

/// <summary>The database could not do the work even after retrying: busy, deadlocked again and again, or failing over.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Every store call goes through here: a read on a connection of its own (<see cref="ReadAsync"/>) or a
/// whole write transaction (<see cref="WriteAsync"/>). It runs the work again when it fails for a reason
/// that says nothing about the work itself (the
/// dialect's transient errors: a deadlock, a busy file, a failover), with exponential backoff and
/// jitter. Each attempt is a whole transaction, so a retry never repeats half of one. When the retries
/// run out, <see cref="StoreUnavailableException"/>.
/// </summary>
internal sealed class StoreRetry(SqlDialect dialect, int retries, TimeSpan firstDelay, int groupCommitWrites = 64)
{
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(2);
    private readonly WriteGroup? group = dialect.OneWriterAtATime ? new WriteGroup(dialect, Math.Max(1, groupCommitWrites)) : null;

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await work(cancellationToken);
            }
            catch (Exception exception) when (DatabaseError(exception) is { } error && dialect.IsTimeout(error))
            {
                throw new StoreUnavailableException($"The {dialect.Name} database did not answer in time.", exception);
            }
            catch (Exception exception) when (DatabaseError(exception) is { } error && dialect.IsTransient(error))
            {
                if (attempt >= retries)
                {
                    throw new StoreUnavailableException(
                        $"The {dialect.Name} database stayed unavailable through {retries} retries.", exception);
                }

                await Task.Delay(Delay(attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Commits, or says the outcome is unknown: a commit that failed may have been applied, so it is never
    /// retried (a retry could store a create twice); the caller gets 503 and decides.
    /// </summary>
    private static async Task CommitAsync(DbTransaction transaction, CancellationToken cancellationToken)
    {
        try
        {
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException exception)
        {
            throw new StoreUnavailableException("The database did not confirm the commit, so the change may or may not have been stored.", exception);
        }
    }

    // SqlClient's own retry logic, once it gives up, throws an AggregateException of the errors it met.
    private static DbException? DatabaseError(Exception exception) => exception switch
    {
        DbException error => error,
        AggregateException many => many.Flatten().InnerExceptions.OfType<DbException>().LastOrDefault(),
        _ => null,
    };

    /// <summary>
    /// One read on a connection it has to itself (<see cref="SqlDialect.TakeReaderAsync"/>), retried as a whole. A read
    /// must not start another inside it: where the dialect has a fixed number of reader connections, reads that each
    /// waited for a second one could wait for ever.
    /// </summary>
    public Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        RunAsync(async token =>
        {
            var connection = await dialect.TakeReaderAsync(token);
            var healthy = false;
            try
            {
                var result = await read(connection, token);
                healthy = true;
                return result;
            }
            finally
            {
                await dialect.ReturnReaderAsync(connection, healthy);
            }
        }, cancellationToken);

    /// <summary>
    /// One write transaction, retried as a whole, with a commit that is never retried (<see cref="CommitAsync"/>).
    /// Where the database takes one writer at a time, the write joins the next group commit (<see cref="WriteGroup"/>)
    /// instead of a transaction of its own.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        group is not null
            ? RunAsync(token => group.WriteAsync(write, token), cancellationToken)
            : RunAsync(async token =>
            {
                await using var connection = dialect.CreateConnection();
                await connection.OpenAsync(token);
                await using var transaction = dialect.BeginWriteTransaction(connection);
                var result = await write(connection, transaction, token);
                await CommitAsync(transaction, token);
                return result;
            }, cancellationToken);

    /// <summary>Closes what the writes keep open (the group commit's writer connection), after the write under way, and the reads' connections.</summary>
    public async ValueTask CloseAsync()
    {
        if (group is not null)
        {
            await group.CloseAsync();
        }

        await dialect.CloseReadersAsync();
    }

    // Full jitter: a random wait up to the exponential step, so writers that collided do not collide again.
    private TimeSpan Delay(int attempt)
    {
        var step = Math.Min(LongestDelay.TotalMilliseconds, firstDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(step / 2 + Random.Shared.NextDouble() * step / 2);
    }
}
