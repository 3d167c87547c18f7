using System.Threading.RateLimiting;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Security;

/// <summary>Options for shedding load: section <c>Overload</c>.</summary>
internal sealed class OverloadOptions
{
    public const string Section = "Overload";

    /// <summary>Requests served at once; 0 turns shedding off.</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Requests that wait, oldest first, for one of those places; over it, 503 at once.</summary>
    public int QueueLimit { get; set; } = 1024;
}

/// <summary>
/// Sheds load before it becomes timeouts: at most <see cref="OverloadOptions.MaxConcurrentRequests"/> requests run at
/// once and <see cref="OverloadOptions.QueueLimit"/> wait; any more are answered at once with 503, <c>Retry-After</c>
/// and an OperationOutcome, before sign-in or any other work. Health probes are never shed, so an orchestrator does not
/// restart a service that is only busy. Per-client limits (429) are <see cref="ClientLimits"/>.
/// </summary>
internal static class LoadShedding
{
    public static WebApplicationBuilder AddLoadShedding(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OverloadOptions.Section).Get<OverloadOptions>() ?? new();
        if (options.MaxConcurrentRequests < 0 || options.QueueLimit < 0)
        {
            throw new InvalidOperationException("Overload:MaxConcurrentRequests and Overload:QueueLimit must be 0 or more.");
        }

        builder.Services.AddSingleton(options);
        return builder;
    }

    public static IApplicationBuilder UseLoadShedding(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<OverloadOptions>();
        if (options.MaxConcurrentRequests == 0)
        {
            return app;
        }

        var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentRequests,
            QueueLimit = options.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        app.Lifetime.ApplicationStopped.Register(limiter.Dispose);
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }

            RateLimitLease lease;
            try
            {
                lease = await limiter.AcquireAsync(1, context.RequestAborted); // at once when there is a place, or the queue is full
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the client went away while waiting: nothing to answer
            }

            using var held = lease;
            if (!lease.IsAcquired)
            {
                await RejectAsync(context);
                return;
            }

            await next(context);
        });
    }

    private static Task RejectAsync(HttpContext context) => ClientLimits.RefuseAsync(context.Response, StatusCodes.Status503ServiceUnavailable, 1,
        FhirOutcome.Error(IssueType.Transient, "The service is busy. Nothing was done; try again in a second."), context.RequestAborted);
}
