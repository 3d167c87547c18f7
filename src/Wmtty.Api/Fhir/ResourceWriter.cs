using Microsoft.Extensions.Options;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Logging;
using Wmtty.Api.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Consents;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
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
/// <remarks>
/// Each write is checked against its caller (null for the service itself): a patient may write only in
/// their own compartment, and never learns of records outside it. The caller's audit record commits in
/// the write's own transaction.
/// </remarks>
internal sealed class ResourceWriter(
    IResourceStore store, ResponseProcessor responses, PreferenceWriter preferences, PublishedDefinitions published, VersionStamper stamper,
    IOptions<DefinitionOptions> definitions, AccessPolicy access, ILogger<ResourceWriter> logger)
{
    private const int Attempts = 3;

    private readonly string canonicalBase = definitions.Value.CanonicalBase;
    private readonly RecentDefinitions recentDefinitions = new();

    public async Task<WriteOutcome> CreateAsync(Resource resource, SearchQuery? ifNoneExist, Uri localBase, CancellationToken cancellationToken, Caller? caller = null)
    {
        CheckRules(resource, localBase, caller);
        var type = resource.TypeName;

        // A conditional create may match instead, and answers that first: it prepares in its transaction.
        var prepared = ifNoneExist is null ? await PrepareAheadAsync(resource, ResourceTypes.NewId(), 1, VersionChange.Created, localBase, cancellationToken) : null;
        var outcome = await store.WriteAsync(async (session, _) =>
        {
            if (ifNoneExist is not null)
            {
                access.Restrict(caller, ifNoneExist);
                await LockMatchesAsync(session, ifNoneExist);
                var matches = await session.FindAsync(ifNoneExist, 2);
                if (matches.Count > 1)
                {
                    throw FhirException.PreconditionFailed($"If-None-Exist matched more than one {type}; the create was not done. Make the criteria more specific.");
                }

                if (matches.Count == 1)
                {
                    // The existing resource goes back as a read would give it: redacted where Consent withholds.
                    var match = matches[0];
                    var shown = await access.DiscloseAsync(caller, type, match.Compartment, match.Json, CancellationToken.None)
                        ?? throw FhirException.PreconditionFailed($"If-None-Exist matched a {type} you may not see; the create was not done.");
                    caller?.Audit?.AddPatient(match.Compartment);
                    await AuditAsync(session, caller, StatusCodes.Status200OK);
                    return new WriteOutcome(WriteKind.Matched, type, match.Id, match.Version, match.LastUpdated, shown);
                }
            }

            var id = prepared?.Version.Id ?? ResourceTypes.NewId();
            var (plan, version) = await PlannedAsync(session, prepared, resource, id, 1, VersionChange.Created, localBase);
            await StoreAsync(session, version, null, caller);
            if (plan is not null)
            {
                await preferences.WriteAsync(session, plan, id, localBase);
            }

            await AuditAsync(session, caller, StatusCodes.Status201Created);
            return Written(WriteKind.Created, version);
        }, cancellationToken);

        Committed(caller);
        Log(outcome);
        return outcome;
    }

    public async Task<WriteOutcome> UpdateAsync(Resource resource, string id, WriteConditions conditions, Uri localBase, CancellationToken cancellationToken, Caller? caller = null)
    {
        CheckRules(resource, localBase, caller);
        var prepared = await PrepareReplacingAsync(resource, id, await store.ReadAsync(resource.TypeName, id, cancellationToken), localBase, cancellationToken);
        return await UpdateCheckedAsync(resource, id, conditions, localBase, publishing: false, cancellationToken, caller, prepared);
    }

    /// <summary>
    /// For the service itself: stores its own published definitions, which clients may not change. In one write
    /// transaction, <paramref name="plan"/> looks at what is stored and names the definitions to store, each with
    /// its id; each becomes the next version under that id. Deciding and writing in the same transaction is what
    /// lets several instances start together on one database: they take turns here, each sees what the one before
    /// it stored, and nothing is published twice.
    /// </summary>
    public async Task<IReadOnlyList<WriteOutcome>> PublishAsync(Func<IWriteSession, Task<IReadOnlyList<(Resource Definition, string Id)>>> plan, Uri localBase, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcomes = await store.WriteAsync(async (session, _) =>
                {
                    await session.LockAsync("definitions"); // where many write at once, instances still take turns
                    var written = new List<WriteOutcome>();
                    foreach (var (definition, id) in await plan(session))
                    {
                        CheckBusinessRules(definition);
                        var current = await session.GetCurrentAsync(definition.TypeName, id);
                        written.Add(await ReplaceAsync(session, definition, id, current, new WriteConditions(null, null), localBase, publishing: true, caller: null));
                    }

                    return written;
                }, cancellationToken);
                outcomes.ForEach(Log);
                return outcomes;
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
                logger.WriteConflictRetried(attempt); // the plan runs again and sees the write it lost to
            }
        }
    }

    /// <summary>
    /// For the bulk import: stores the resource under its own id, as an update (or create) by the service
    /// itself, with the same checks, extraction and indexes as a client's write. A resource whose current
    /// version already has the same content is left as it is (<see cref="WriteKind.Matched"/>), so importing
    /// the same file again changes nothing.
    /// </summary>
    public async Task<WriteOutcome> ImportAsync(Resource resource, Uri localBase, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(resource.Id) || !ResourceTypes.IsValidId(resource.Id))
        {
            throw FhirException.BadRequest("An imported resource needs its id (1 to 64 letters, digits, '-' and '.'), so that importing it again finds it.", IssueType.Required);
        }

        CheckRules(resource, localBase, caller: null);
        var id = resource.Id;

        // Compared with what is stored, and prepared, before the transaction; inside, that holds if the version is the same.
        // Not a Patient: what it is compared as depends on the patient's current preferences, read inside.
        StoredVersion? read = null;
        var unchanged = false;
        PreparedWrite? prepared = null;
        if (resource is not Patient)
        {
            read = await store.ReadAsync(resource.TypeName, id, cancellationToken);
            unchanged = Unchanged(read, resource);
            if (!unchanged)
            {
                prepared = await PrepareReplacingAsync(resource, id, read, localBase, cancellationToken);
            }
        }

        return await RetryingAsync(new WriteConditions(null, null), null, async session =>
        {
            var current = await session.GetCurrentAsync(resource.TypeName, id);
            if (read is not null && current is not null && current.Version == read.Version && current.IsDeleted == read.IsDeleted)
            {
                return unchanged
                    ? new WriteOutcome(WriteKind.Matched, current.Type, id, current.Version, read.LastUpdated, read.Json!)
                    : await ReplaceAsync(session, resource, id, current, new WriteConditions(null, null), localBase, publishing: false, caller: null, prepared: prepared);
            }

            if (read is null && current is null && prepared is not null)
            {
                return await ReplaceAsync(session, resource, id, current, new WriteConditions(null, null), localBase, publishing: false, caller: null, prepared: prepared);
            }

            if (resource is Patient patient)
            {
                await preferences.ApplyCurrentAsync(session, patient, id); // the language and interpreter need the patient gave stay
            }

            if (current is { IsDeleted: false } && await session.ReadJsonAsync(current) is { } stored
                && FhirSerialization.ReadStored(stored) is var storedResource
                && StoredForm.Content(storedResource).AsSpan().SequenceEqual(StoredForm.Content(resource)))
            {
                return new WriteOutcome(WriteKind.Matched, current.Type, id, current.Version, storedResource.Meta?.LastUpdated ?? default, stored);
            }

            return await ReplaceAsync(session, resource, id, current, new WriteConditions(null, null), localBase, publishing: false, caller: null);
        }, cancellationToken);
    }

    // Whether the stored version has the same content as the resource.
    private static bool Unchanged(StoredVersion? stored, Resource resource) =>
        stored is { IsDeleted: false, Json: { } json }
        && StoredForm.Content(FhirSerialization.ReadStored(json)).AsSpan().SequenceEqual(StoredForm.Content(resource));

    /// <summary>
    /// A write's slow part, done before its transaction: a response checked against its questionnaire and its Observations
    /// extracted, and every version stamped, serialized and indexed, as they would be inside. The transaction uses it when
    /// what it read still holds (<see cref="PlannedAsync"/>), and otherwise does that part again itself. Where the database
    /// has one writer at a time (SQLite), its turn is then spent on rows, and the rest runs on every core.
    /// </summary>
    private sealed record PreparedWrite(ReadSet Reads, ResponsePlan? Plan, NewVersion Version);

    // meta.lastUpdated is therefore when the write was prepared, a moment before its commit.
    private async Task<PreparedWrite> PrepareAheadAsync(Resource resource, string id, int version, VersionChange change, Uri localBase, CancellationToken cancellationToken)
    {
        var reads = new ReadSet();
        var plan = resource is QuestionnaireResponse response
            ? preferences.StampAhead(await responses.PrepareAsync(reads.Reader(store, cancellationToken, recentDefinitions), response, id, localBase, stamper.Now()), localBase)
            : null;
        return new PreparedWrite(reads, plan, Stamp(resource, id, version, change, localBase, plan));
    }

    /// <summary>
    /// Prepared ahead as the next version after <paramref name="current"/>, for a write that replaces. A resource that fails
    /// its checks is left to the transaction, which answers with the error it would have given in its own order
    /// (If-Match, access and existence before the content).
    /// </summary>
    private async Task<PreparedWrite?> PrepareReplacingAsync(Resource resource, string id, StoredVersion? current, Uri localBase, CancellationToken cancellationToken)
    {
        var creates = current is null or { IsDeleted: true };
        try
        {
            return await PrepareAheadAsync(resource, id, (current?.Version ?? 0) + 1, creates ? VersionChange.CreatedByUpdate : VersionChange.Updated, localBase, cancellationToken);
        }
        catch (FhirException)
        {
            return null;
        }
    }

    // The plan and the version to write: the ones prepared ahead when they are for this version and what they read still holds.
    private async Task<(ResponsePlan? Plan, NewVersion Version)> PlannedAsync(IWriteSession session, PreparedWrite? prepared, Resource resource, string id, int version, VersionChange change, Uri localBase)
    {
        if (prepared is { Version: var ahead } && ahead.Id == id && ahead.Version == version && ahead.Change == change)
        {
            if (await prepared.Reads.StillHoldsAsync(session))
            {
                return (prepared.Plan, ahead);
            }

            recentDefinitions.Clear(); // one of them may be what changed
        }

        var plan = await PlanAsync(session, resource, id, localBase);
        return (plan, Stamp(resource, id, version, change, localBase, plan));
    }

    private Task<WriteOutcome> UpdateCheckedAsync(Resource resource, string id, WriteConditions conditions, Uri localBase, bool publishing, CancellationToken cancellationToken, Caller? caller, PreparedWrite? prepared = null)
    {
        return RetryingAsync(conditions, caller, async session =>
        {
            var current = await session.GetCurrentAsync(resource.TypeName, id);
            return await ReplaceAsync(session, resource, id, current, conditions, localBase, publishing, caller, prepared: prepared);
        }, cancellationToken);
    }

    /// <summary>
    /// Update by search: no match creates (with the body's id if it has one, unless that id is taken by a
    /// resource the criteria did not match), one match is updated, more than one is refused with 412.
    /// </summary>
    public Task<WriteOutcome> ConditionalUpdateAsync(Resource resource, SearchQuery condition, WriteConditions conditions, Uri localBase, CancellationToken cancellationToken, Caller? caller = null)
    {
        CheckRules(resource, localBase, caller);
        var type = resource.TypeName;
        var bodyId = resource.Id; // an attempt stamps its id on the resource; a retry starts from the body's
        access.Restrict(caller, condition);
        return RetryingAsync(conditions, caller, async session =>
        {
            await LockMatchesAsync(session, condition);
            var matches = await session.FindAsync(condition, 2);
            if (matches.Count > 1)
            {
                throw FhirException.PreconditionFailed($"The conditional update matched more than one {type}; nothing was changed. Make the criteria more specific.");
            }

            if (matches.Count == 1 && bodyId is not null && bodyId != matches[0].Id)
            {
                throw FhirException.BadRequest($"The body has id '{bodyId}', but the criteria matched {type}/{matches[0].Id}.");
            }

            var id = matches.Count == 1 ? matches[0].Id : bodyId ?? ResourceTypes.NewId();
            var current = await session.GetCurrentAsync(type, id);
            if (matches.Count == 0 && caller is { IsPatient: true } && bodyId is not null)
            {
                throw FhirException.NotFound($"{type}/{bodyId} does not exist. A patient records new answers with POST."); // whether or not it does
            }

            if (matches.Count == 0 && current is { IsDeleted: false })
            {
                throw FhirException.Conflict($"{type}/{id} exists but does not match the criteria, so the conditional update did not overwrite it.");
            }

            return await ReplaceAsync(session, resource, id, current, conditions, localBase, publishing: false, caller, serverChosenId: matches.Count == 0 && bodyId is null);
        }, cancellationToken);
    }

    public async Task<DeleteOutcome> DeleteAsync(string type, string id, WriteConditions conditions, Uri localBase, CancellationToken cancellationToken, Caller? caller = null)
    {
        var outcome = await PreconditionOnConflictAsync(conditions, () => store.WriteAsync(async (session, _) =>
        {
            var current = await LockedCurrentAsync(session, type, id, await session.GetCurrentAsync(type, id));
            if (current is null || !AccessPolicy.InReach(caller, type, current.Compartment))
            {
                throw FhirException.NotFound($"{type}/{id} does not exist.");
            }

            caller?.Audit?.AddPatient(current.Compartment);
            conditions.Check(type, id, Live(current));
            if (current.IsDeleted)
            {
                return new DeleteOutcome(type, id, current.Version, AlreadyDeleted: true);
            }

            await RefuseChangeOfOwnedAsync(session, current);

            var version = current.Version + 1;
            await session.WriteAsync(NewVersion.Deletion(type, id, version, stamper.Now(), current.Compartment), current);
            switch (type)
            {
                case ResourceTypes.QuestionnaireResponse:
                    await preferences.DeletedAsync(session, id, localBase);
                    break;
                case ResourceTypes.Patient:
                    await session.Preferences.RemovePatientAsync(id); // no current preferences for a patient who is gone
                    break;
                case ResourceTypes.Consent:
                    await RefreshConsentAsync(session, current.Compartment);
                    break;
            }

            await AuditAsync(session, caller, StatusCodes.Status204NoContent);
            return new DeleteOutcome(type, id, version, AlreadyDeleted: false);
        }, cancellationToken));

        Committed(caller);

        if (!outcome.AlreadyDeleted)
        {
            logger.ResourceDeleted(outcome.Type, outcome.Id, outcome.Version);
        }

        return outcome;
    }

    // A delete that lost a race to another writer of the same resource: with If-Match, the version it named
    // is gone, which is 412, as for an update.
    private static async Task<T> PreconditionOnConflictAsync<T>(WriteConditions conditions, Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (ConcurrencyConflictException) when (conditions.IfMatch is not null)
        {
            throw FhirException.PreconditionFailed("The version named in If-Match stopped being current while this change was written: someone else changed it first. Read it again and retry.");
        }
    }

    /// <param name="serverChosenId">The id was made here (a conditional update that creates), not given by the client.</param>
    /// <param name="prepared">The plan and version prepared before the transaction, used if they still hold.</param>
    private async Task<WriteOutcome> ReplaceAsync(IWriteSession session, Resource resource, string id, CurrentVersion? current, WriteConditions conditions, Uri localBase, bool publishing, Caller? caller, bool serverChosenId = false, PreparedWrite? prepared = null)
    {
        current = await LockedCurrentAsync(session, resource.TypeName, id, current);

        // Someone else's is answered as if it were not there. A patient does not choose ids (no create by
        // update), so an unused id gets that same answer and nothing tells the two apart.
        if ((current is not null && !current.IsDeleted && !AccessPolicy.InReach(caller, current.Type, current.Compartment))
            || (caller is { IsPatient: true } && !serverChosenId && current is null or { IsDeleted: true }))
        {
            throw FhirException.NotFound($"{resource.TypeName}/{id} does not exist. A patient records new answers with POST.");
        }

        caller?.Audit?.AddPatient(current?.Compartment);
        conditions.Check(resource.TypeName, id, Live(current));
        if (!publishing && current is { IsDeleted: false })
        {
            await RefuseChangeOfOwnedAsync(session, current);
        }

        var creates = current is null or { IsDeleted: true };
        var (plan, version) = await PlannedAsync(session, prepared, resource, id, (current?.Version ?? 0) + 1, creates ? VersionChange.CreatedByUpdate : VersionChange.Updated, localBase);
        await StoreAsync(session, version, current, caller);
        if (plan is not null)
        {
            await preferences.WriteAsync(session, plan, id, localBase);
        }

        if (version.Type == ResourceTypes.Consent && current?.Compartment is { } previous && previous != version.Compartment)
        {
            await RefreshConsentAsync(session, previous); // the Consent moved to another patient
        }

        await AuditAsync(session, caller, creates ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        return Written(creates ? WriteKind.Created : WriteKind.Updated, version);
    }

    // Writes the version, after checking a patient writes only in their own compartment; a Consent
    // rewrites what its patient withholds, in the same transaction.
    private async Task StoreAsync(IWriteSession session, NewVersion version, CurrentVersion? current, Caller? caller)
    {
        if (caller is { IsPatient: true } && (string.IsNullOrEmpty(caller.PatientId) || version.Compartment != caller.PatientId))
        {
            throw FhirException.Forbidden("A patient can record only their own preferences and consent.");
        }

        caller?.Audit?.AddPatient(version.Compartment);
        await LockPatientAsync(session, version.Compartment);
        await session.WriteAsync(version, current);
        if (version.Type == ResourceTypes.Consent)
        {
            await RefreshConsentAsync(session, version.Compartment);
        }
    }

    /// <summary>
    /// One patient's writes take turns across service instances: what a write reads of the patient's other
    /// records (their current preference set, their Consents) stays true until it commits. Where the
    /// database has one writer at a time, this costs nothing.
    /// </summary>
    private static Task<bool> LockPatientAsync(IWriteSession session, string? patientId) =>
        patientId is null ? Task.FromResult(false) : session.LockAsync("patient:" + patientId);

    /// <summary>
    /// Locks the patient whose resource this is, then, if that meant waiting for another instance, reads the
    /// current version again: the one read before may have been replaced meanwhile, and writing on top of it
    /// would only fail.
    /// </summary>
    private static async Task<CurrentVersion?> LockedCurrentAsync(IWriteSession session, string type, string id, CurrentVersion? current)
    {
        if (!await LockPatientAsync(session, current?.Compartment))
        {
            return current;
        }

        var fresh = await session.GetCurrentAsync(type, id);
        if (fresh?.Compartment is { } moved && moved != current!.Compartment)
        {
            await LockPatientAsync(session, moved);
        }

        return fresh;
    }

    /// <summary>
    /// Conditional writes that could match the same resource take turns, so that of two concurrent
    /// If-None-Exist creates only one creates: one lock for each value the criteria name (an identifier
    /// found with or without its system is the same lock), taken in order; one for the type when they
    /// name no value.
    /// </summary>
    private static async Task LockMatchesAsync(IWriteSession session, SearchQuery criteria)
    {
        foreach (var name in MatchLocks(criteria))
        {
            await session.LockAsync(name);
        }
    }

    internal static IReadOnlyList<string> MatchLocks(SearchQuery criteria)
    {
        var values = criteria.Clauses.SelectMany(anyOf => anyOf).Select(condition => condition switch
        {
            IdCondition id => id.Id,
            TokenCondition token => token.Code,
            ReferenceCondition reference => reference.TargetId,
            ReferenceIdentifierCondition identifier => identifier.Value,
            StringCondition text => SearchText.Normalize(text.Value),
            _ => null,
        }).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var names = values.Select(value => $"match:{criteria.ResourceType}:{value}").ToList();
        return names.Count > 0 ? names : [$"match:{criteria.ResourceType}"];
    }

    /// <summary>What the patient's active privacy Consents withhold, all of them together (a deny in any one holds).</summary>
    private async Task RefreshConsentAsync(IWriteSession session, string? patientId)
    {
        if (patientId is null)
        {
            return;
        }

        var query = new SearchQuery(ResourceTypes.Consent)
            .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
            .Where(new TokenCondition("status", null, "active"))
            .Where(new TokenCondition("scope", PrivacyConsent.ScopeSystem, PrivacyConsent.ScopeCode));
        var sectionSystem = PreferenceCodes.ServiceSystem(canonicalBase);
        var withheld = new List<WithheldSection>();
        foreach (var match in await session.FindAsync(query, 1000))
        {
            var consent = (Consent)FhirSerialization.ReadStored(match.Json);
            withheld.AddRange(PrivacyConsent.Withheld(consent, canonicalBase).Select(w => new WithheldSection(w.Audience, sectionSystem, w.Section)));
        }

        await session.ReplaceWithheldAsync(patientId, withheld);
    }

    private static async Task AuditAsync(IWriteSession session, Caller? caller, int status)
    {
        if (caller?.Audit is { } record)
        {
            await record.AppendInAsync(session, status);
        }
    }

    private static void Committed(Caller? caller)
    {
        if (caller?.Audit is { } record)
        {
            record.Committed = true;
        }
    }

    // A QuestionnaireResponse is checked against its questionnaire and subject before anything is written.
    private async Task<ResponsePlan?> PlanAsync(IWriteSession session, Resource resource, string id, Uri localBase) =>
        resource is QuestionnaireResponse response
            ? await responses.PrepareAsync(StoreReader.In(session), response, id, localBase, stamper.Now())
            : null;

    private async Task<WriteOutcome> RetryingAsync(WriteConditions conditions, Caller? caller, Func<IWriteSession, Task<WriteOutcome>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await store.WriteAsync((session, _) => work(session), cancellationToken);
                Committed(caller);
                Log(outcome);
                return outcome;
            }
            catch (ConcurrencyConflictException) when (conditions.IfMatch is not null)
            {
                throw FhirException.PreconditionFailed("The version named in If-Match stopped being current while this update was written: someone else changed it first. Read it again and reapply your change.");
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

    /// <summary>
    /// What the service itself keeps cannot be changed or deleted by clients: its published definitions
    /// (whatever the new body says), and the Observations of a current preference set, which follow the
    /// response they were extracted from.
    /// </summary>
    private async Task RefuseChangeOfOwnedAsync(IWriteSession session, CurrentVersion current)
    {
        if (PublishedDefinitions.CouldBe(current.Type) && await session.ReadJsonAsync(current) is { } json)
        {
            published.RefuseChange(FhirSerialization.ReadStored(json));
        }

        if (current.Type == ResourceTypes.Observation && await session.Preferences.IsInASetAsync(current.Id))
        {
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.BusinessRule,
                $"Observation/{current.Id} is one of a patient's current preferences, extracted from their What Matters To You response. " +
                "Correct the response instead (amend it, or mark it entered-in-error), and its Observations follow.", "Observation"));
        }
    }

    // A deleted resource has no current version as far as If-Match and If-None-Match are concerned.
    private static int? Live(CurrentVersion? current) => current is { IsDeleted: false } ? current.Version : null;

    private void CheckRules(Resource resource, Uri localBase, Caller? caller)
    {
        published.RefuseChange(resource);
        CheckBusinessRules(resource);
        if (resource is Consent consent && PrivacyConsent.Check(consent, canonicalBase, localBase) is { Count: > 0 } issues)
        {
            throw FhirException.Unprocessable(FhirOutcome.Of(issues));
        }

        if (caller is { IsPatient: true })
        {
            RequireOwnSubject(resource, localBase, caller);
        }
    }

    // Before anything is looked up, so the answer does not depend on whether another patient exists.
    private static void RequireOwnSubject(Resource resource, Uri localBase, Caller caller)
    {
        var named = resource switch
        {
            QuestionnaireResponse response => response.Subject,
            Consent consent => consent.Patient,
            _ => null,
        };
        var own = AccessPolicy.NamesOwnPatient(caller, named, localBase);
        if (!own)
        {
            throw FhirException.Forbidden("A patient can record only their own preferences and consent.");
        }
    }

    private static void CheckBusinessRules(Resource resource)
    {
        var issues = BusinessRules.Check(resource);
        if (issues.Count > 0)
        {
            throw FhirException.Unprocessable(FhirOutcome.Of(issues));
        }
    }

    // A response is also indexed under the Questionnaire its canonical resolved to: questionnaire=Questionnaire/<id> finds it.
    private NewVersion Stamp(Resource resource, string id, int version, VersionChange change, Uri localBase, ResponsePlan? plan = null) =>
        stamper.Stamp(resource, id, version, change, localBase,
            plan is null ? null : [new ReferenceRow("questionnaire", ResourceTypes.Questionnaire, plan.Questionnaire.Id, null, null)], plan?.PatientId);

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
