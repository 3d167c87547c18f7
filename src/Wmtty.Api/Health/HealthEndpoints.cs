using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Wmtty.Api.Storage;

namespace Wmtty.Api.Health;

internal static class HealthEndpoints
{
    /// <summary>/health/live: the process answers. /health/ready: and the database is usable.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(DatabaseHealthCheck.ReadyTag) }).AllowAnonymous();
        return app;
    }
}
