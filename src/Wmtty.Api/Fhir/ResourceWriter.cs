using Wmtty.Api.Errors;
using Wmtty.Api.Logging;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Validation;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Fhir;

internal enum WriteKind
{
    Created,
    Updated,

    /// <summary>A conditional create found the resource already there and wrote nothing.</summary>
    Matched,
}

internal sealed record WriteOutcome(WriteKind Kind, string Type, string Id, int Version, DateTimeOffset LastUpdated, byte[] Json);

internal sealed record DeleteOutcome(string Type, string Id, int Version, bool AlreadyDeleted);

/// <summary>
/// Writes resources: business rules, then id and version stamping, indexing and storage in one
/// transaction. Version races are settled inside that transaction, by If-Match or by retrying.
/// </summary>
internal sealed class ResourceWriter(IResourceStore store, TimeProvider clock, ILogger<ResourceWriter> logger)
{
    private const int Attempts = 3;

    public async Task<WriteOutcome> CreateAsync(Resource resource, SearchQuery? ifNoneExist, Uri localBase, CancellationToken cancellationToken)
    {
        CheckRules(resource);
        var type = resource.TypeName;
        var outcome = await store.WriteAsync(async (session, _) =>
        {
            if (ifNoneExist is not null)
            {
                var matches = await session.FindAsync(ifNoneExist, 2);
                if (matches.Count > 1)
                {
                    throw FhirException.PreconditionFailed($"If-None-Exist matched more than one {type}; the create was not done. Make the criteria more specific.");
                }

                if (matches.Count == 1)
                {
                    var match = matches[0];
                    return new WriteOutcome(WriteKind.Matched, type, match.Id, match.Version, match.LastUpdated, match.Json);
                }
            }

            var version = Stamp(resource, ResourceTypes.NewId(), 1, localBase);
            await session.WriteAsync(version, replacing: null);
            return Written(WriteKind.Created, version);
        }, cancellationToken);

        Log(outcome);
        return outcome;
    }

    public Task<WriteOutcome> UpdateAsync(Resource resource, string id, int? ifMatch, Uri localBase, CancellationToken cancellationToken)
    {
        CheckRules(resource);
        return RetryingAsync(ifMatch, async session =>
        {
            var current = await session.GetCurrentAsync(resource.TypeName, id);
            return await ReplaceAsync(session, resource, id, current, ifMatch, localBase);
        }, cancellationToken);
    }

    /// <summary>Update by search: no match creates, one match is updated, more than one is refused with 412.</summary>
    public Task<WriteOutcome> ConditionalUpdateAsync(Resource resource, SearchQuery condition, Uri localBase, CancellationToken cancellationToken)
    {
        CheckRules(resource);
        return RetryingAsync(null, async session =>
        {
            var matches = await session.FindAsync(condition, 2);
            if (matches.Count > 1)
            {
                throw FhirException.PreconditionFailed($"The conditional update matched more than one {resource.TypeName}; nothing was changed. Make the criteria more specific.");
            }

            var id = matches.Count == 1 ? matches[0].Id : resource.Id ?? ResourceTypes.NewId();
            if (resource.Id is not null && resource.Id != id)
            {
                throw FhirException.BadRequest($"The body has id '{resource.Id}', but the criteria matched {resource.TypeName}/{id}.");
            }

            var current = await session.GetCurrentAsync(resource.TypeName, id);
            return await ReplaceAsync(session, resource, id, current, null, localBase);
        }, cancellationToken);
    }

    public async Task<DeleteOutcome> DeleteAsync(string type, string id, int? ifMatch, CancellationToken cancellationToken)
    {
        var outcome = await store.WriteAsync(async (session, _) =>
        {
            var current = await session.GetCurrentAsync(type, id)
                ?? throw FhirException.NotFound($"{type}/{id} does not exist.");
            CheckIfMatch(type, id, current, ifMatch);
            if (current.IsDeleted)
            {
                return new DeleteOutcome(type, id, current.Version, AlreadyDeleted: true);
            }

            var version = current.Version + 1;
            await session.WriteAsync(NewVersion.Deletion(type, id, version, StoredForm.Now(clock)), current);
            return new DeleteOutcome(type, id, version, AlreadyDeleted: false);
        }, cancellationToken);

        if (!outcome.AlreadyDeleted)
        {
            logger.ResourceDeleted(outcome.Type, outcome.Id, outcome.Version);
        }

        return outcome;
    }

    private async Task<WriteOutcome> ReplaceAsync(IWriteSession session, Resource resource, string id, CurrentVersion? current, int? ifMatch, Uri localBase)
    {
        CheckIfMatch(resource.TypeName, id, current, ifMatch);
        var version = Stamp(resource, id, (current?.Version ?? 0) + 1, localBase);
        await session.WriteAsync(version, current);
        return Written(current is null or { IsDeleted: true } ? WriteKind.Created : WriteKind.Updated, version);
    }

    private async Task<WriteOutcome> RetryingAsync(int? ifMatch, Func<IWriteSession, Task<WriteOutcome>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await store.WriteAsync((session, _) => work(session), cancellationToken);
                Log(outcome);
                return outcome;
            }
            catch (ConcurrencyConflictException) when (ifMatch is not null)
            {
                throw FhirException.PreconditionFailed($"Version {ifMatch} is no longer the current version: someone else changed it first. Read it again and reapply your change.");
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
                logger.WriteConflictRetried(attempt);
            }
            catch (ConcurrencyConflictException)
            {
                throw FhirException.Conflict("The resource kept changing while this update was being written. Try again.");
            }
        }
    }

    private static void CheckIfMatch(string type, string id, CurrentVersion? current, int? ifMatch)
    {
        if (ifMatch is { } expected && current?.Version != expected)
        {
            throw FhirException.PreconditionFailed(current is null
                ? $"If-Match asked for version {expected} of {type}/{id}, which does not exist."
                : $"If-Match asked for version {expected} of {type}/{id}, but the current version is {current.Version}. Read it again and reapply your change.");
        }
    }

    private static void CheckRules(Resource resource)
    {
        var issues = BusinessRules.Check(resource);
        if (issues.Count > 0)
        {
            throw FhirException.Unprocessable(FhirOutcome.Of(issues));
        }
    }

    private NewVersion Stamp(Resource resource, string id, int version, Uri localBase)
    {
        var lastUpdated = StoredForm.Now(clock);
        var json = StoredForm.Prepare(resource, id, version, lastUpdated);
        return new NewVersion(resource.TypeName, id, version, lastUpdated, json, IndexRows.For(resource, localBase));
    }

    private static WriteOutcome Written(WriteKind kind, NewVersion version) =>
        new(kind, version.Type, version.Id, version.Version, version.LastUpdated, version.Json!);

    private void Log(WriteOutcome outcome)
    {
        if (outcome.Kind != WriteKind.Matched)
        {
            logger.ResourceWritten(outcome.Type, outcome.Id, outcome.Version);
        }
    }
}
