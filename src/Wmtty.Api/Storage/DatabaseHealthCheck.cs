using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wmtty.Data.Storage;

namespace Wmtty.Api.Storage;

/// <summary>Ready when the database answers and its schema is the one this build expects.</summary>
internal sealed class DatabaseHealthCheck(WmttyDatabase database) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var version = database.ReadSchemaVersion();
            return Task.FromResult(version == database.LatestSchemaVersion
                ? HealthCheckResult.Healthy($"{database.Provider} schema version {version}")
                : HealthCheckResult.Unhealthy($"{database.Provider} schema version {version}, expected {database.LatestSchemaVersion}"));
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{database.Provider} did not answer: {exception.GetType().Name}"));
        }
    }
}
