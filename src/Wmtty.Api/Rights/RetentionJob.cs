using Microsoft.Extensions.Options;
using Wmtty.Api.Logging;
using Wmtty.Data.Resources;

namespace Wmtty.Api.Rights;

/// <summary>Section <c>Retention</c>: how long a patient's data is kept after it last changed.</summary>
internal sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Whether the job runs at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long after the last change to any of a patient's data (a submission, an edit, a Consent, a deletion) all of it
    /// is erased. Eight years: the NHS Records Management Code of Practice keeps adult health records that long after the
    /// end of care. The data protection officer decides; README, "Retention".
    /// </summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(8 * 365 + 2);

    /// <summary>How often the job looks for expired patients; the first pass runs <see cref="FirstRunAfter"/> after start-up.</summary>
    public TimeSpan RunEvery { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan FirstRunAfter { get; set; } = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan ShortestPeriod = TimeSpan.FromDays(30);
}

/// <summary>What one pass of the retention job did.</summary>
internal sealed record RetentionReport(DateTimeOffset Cutoff, int Erased, int Versions, int Kept);

/// <summary>
/// Erases, as <c>$erase</c> does, every patient none of whose data has changed for <see cref="RetentionOptions.Period"/>,
/// once a day. Each patient is erased in a transaction of their own, which checks again that nothing changed since the
/// pass chose them, and records the erasure in the audit trail as done by the service. Each pass logs what it did.
/// </summary>
internal sealed class RetentionJob(IResourceStore store, PatientErasure erasure, IOptions<RetentionOptions> options, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<RetentionJob> logger) : BackgroundService
{
    /// <summary>One pass, as if it were <paramref name="now"/>: erases every patient whose data last changed before now minus the period.</summary>
    public async Task<RetentionReport> RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - options.Value.Period;
        int erased = 0, versions = 0, kept = 0;
        await foreach (var patientId in store.PatientsUnchangedSinceAsync(cutoff, cancellationToken))
        {
            // Most candidates of a live service are patients whose Patient is old but who answered since: read first, write only to erase.
            if (await store.LastActivityAsync(patientId, cancellationToken) is not { } last || last >= cutoff)
            {
                kept++;
                continue;
            }

            var done = await erasure.EraseAsync(patientId, "retention",
                session => session.AppendAuditAsync(PatientErasure.ServiceEntry(patientId, "$erase", clock.GetUtcNow())), cancellationToken,
                stillExpired: held => held.All(v => v.LastUpdated < cutoff));
            if (done is null)
            {
                kept++;
                continue;
            }

            erased++;
            versions += done.Versions;
        }

        var report = new RetentionReport(cutoff, erased, versions, kept);
        logger.RetentionPurged(report.Erased, report.Cutoff, report.Versions, report.Kept);
        return report;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        try
        {
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, started.Token).ContinueWith(static _ => { }, TaskScheduler.Default); // after start-up
            }

            await Task.Delay(settings.FirstRunAfter, clock, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunOnceAsync(clock.GetUtcNow(), stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.RetentionFailed(exception, settings.RunEvery);
                }

                await Task.Delay(settings.RunEvery, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the next pass starts over.
        }
    }
}

internal static class RetentionSetup
{
    public static WebApplicationBuilder AddPatientRights(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PatientErasure>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.Period >= RetentionOptions.ShortestPeriod,
                $"Retention:Period must be at least {RetentionOptions.ShortestPeriod.TotalDays} days (a TimeSpan such as 2922.00:00:00): a shorter one would erase patients' data as they use the service.")
            .Validate(o => o.RunEvery >= TimeSpan.FromMinutes(1) && o.FirstRunAfter >= TimeSpan.Zero, "Retention:RunEvery must be at least a minute, and Retention:FirstRunAfter not negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetentionJob>());
        return builder;
    }
}
