using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Api.Logging;
using Wmtty.Data.Measures;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Extraction;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Measures;

/// <summary>
/// Once the service is up, in the background: the outcome-measure facts of the preference sets stored before migration 12
/// kept them, taken from each set's response, Observations and Patient as a new set's are, 200 sets a transaction. Until
/// it reaches a set, the set counts in the totals and as "not recorded" in the breakdowns. As a hosted service, it is
/// stopped and waited for before the database is closed; the next start carries on.
/// </summary>
internal sealed class MeasureBackfill(IMeasureStore measures, IResourceStore store, IOptions<DefinitionOptions> definitions,
    IHostApplicationLifetime lifetime, ILogger<MeasureBackfill> logger) : BackgroundService
{
    private const int Batch = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, started.Token).ContinueWith(static _ => { }, TaskScheduler.Default); // after start-up
            }

            var taken = 0;
            while (!stoppingToken.IsCancellationRequested && await measures.SetsToBackfillAsync(Batch, stoppingToken) is { Count: > 0 } sets)
            {
                var done = new List<(long, SetFacts?)>();
                foreach (var set in sets)
                {
                    done.Add((set.SetKey, await FactsAsync(set, stoppingToken)));
                }

                await measures.BackfilledAsync(done, stoppingToken);
                taken += sets.Count;
            }

            if (taken > 0)
            {
                logger.MeasureFactsBackfilled(taken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the next start carries on.
        }
        catch (Exception exception)
        {
            logger.MeasureFactsNotBackfilled(exception.GetType().Name);
        }
    }

    // What a new set's writer would have taken (PreferenceWriter), from what is stored now; null when the response is gone.
    private async Task<SetFacts?> FactsAsync(SetToBackfill set, CancellationToken cancellationToken)
    {
        if (await ReadAsync<QuestionnaireResponse>(ResourceTypes.QuestionnaireResponse, set.ResponseId, cancellationToken) is not { } response)
        {
            return null;
        }

        var extracted = new List<ExtractedObservation>();
        foreach (var id in set.ObservationIds)
        {
            if (await ReadAsync<Observation>(ResourceTypes.Observation, id, cancellationToken) is { Code.Coding: [var code, ..] } observation)
            {
                extracted.Add(new ExtractedObservation(observation, code, extracted.Count));
            }
        }

        return MeasureFacts.Of(response, extracted, PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase))
            .InArea(await ReadAsync<Patient>(ResourceTypes.Patient, set.PatientId, cancellationToken)).Stored();
    }

    private async Task<T?> ReadAsync<T>(string type, string id, CancellationToken cancellationToken)
        where T : Resource =>
        await store.ReadAsync(type, id, cancellationToken) is { IsDeleted: false, Json: { } json } ? FhirSerialization.ReadStored(json) as T : null;
}
