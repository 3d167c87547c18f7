using Wmtty.Api.Logging;
using Wmtty.Data.Storage;

namespace Wmtty.Api.Storage;

/// <summary>
/// Once the service is up, in the background: the one-row projections of patients stored before they existed
/// (migration 6), then the rows stored before they were deflated (migration 10). Nothing waits for it; those patients
/// are answered through the join, or from their old rows, until it reaches them. As a
/// hosted service, it is stopped and waited for before the database is closed.
/// </summary>
internal sealed class ProjectionBackfill(WmttyDatabase database, IHostApplicationLifetime lifetime, ILogger<ProjectionBackfill> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, started.Token).ContinueWith(static _ => { }, TaskScheduler.Default); // after start-up
            }

            if (!stoppingToken.IsCancellationRequested && await database.Preferences.BuildMissingProjectionsAsync(stoppingToken) is > 0 and var patients)
            {
                logger.ProjectionsBuilt(patients);
            }

            if (!stoppingToken.IsCancellationRequested && await database.Preferences.RewriteOldProjectionsAsync(stoppingToken) is > 0 and var rewritten)
            {
                logger.ProjectionsRewritten(rewritten);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the next start carries on.
        }
        catch (Exception exception)
        {
            logger.ProjectionsNotBuilt(exception.GetType().Name);
        }
    }
}
