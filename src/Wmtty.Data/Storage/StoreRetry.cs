using System.Data.Common;

namespace Wmtty.Data.Storage;

/// <summary>The database could not do the work even after retrying: busy, deadlocked again and again, or failing over.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Runs store work again when it fails for a reason that says nothing about the work itself (the
/// dialect's transient errors: a deadlock, a busy file, a failover), with exponential backoff and
/// jitter. Each attempt is a whole transaction, so a retry never repeats half of one. When the retries
/// run out, <see cref="StoreUnavailableException"/>.
/// </summary>
internal sealed class StoreRetry(SqlDialect dialect, int retries, TimeSpan firstDelay)
{
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(2);

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await work(cancellationToken);
            }
            catch (DbException exception) when (dialect.IsTransient(exception))
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

    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken) =>
        await RunAsync(async token =>
        {
            await work(token);
            return true;
        }, cancellationToken);

    // Full jitter: a random wait up to the exponential step, so writers that collided do not collide again.
    private TimeSpan Delay(int attempt)
    {
        var step = Math.Min(LongestDelay.TotalMilliseconds, firstDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(step / 2 + Random.Shared.NextDouble() * step / 2);
    }
}
