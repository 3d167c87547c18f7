using Wmtty.Api.Logging;
using Wmtty.Data.Audit;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Rights;

/// <summary>
/// The right to erasure: every version of everything held about a patient, hard-deleted in one transaction with its
/// index rows, preference sets, projection, Consent rules and invitations. The audit trail keeps its records, which
/// hold ids and times only, never content, and gains one more in the same transaction: that the erasure happened.
/// </summary>
internal sealed class PatientErasure(IResourceStore store, ILogger<PatientErasure> logger)
{
    /// <summary>
    /// Erases the patient's data; null when there is no such Patient. <paramref name="audit"/> appends the erasure's
    /// audit record inside the transaction, so the deletion and its record commit together or not at all.
    /// </summary>
    /// <param name="stillExpired">For the retention job: checked inside the transaction, so a patient whose data changed since it was chosen is kept (the erasure is then null).</param>
    public async Task<ErasedCompartment?> EraseAsync(string patientId, string reason, Func<IWriteSession, Task> audit, CancellationToken cancellationToken,
        Func<IReadOnlyList<StoredVersion>, bool>? stillExpired = null)
    {
        var erased = await store.WriteAsync<ErasedCompartment?>(async (session, _) =>
        {
            await session.LockAsync("patient:" + patientId); // as every write of the patient's data takes, where many write at once
            var current = await session.GetCurrentAsync(ResourceTypes.Patient, patientId);
            if (current is null)
            {
                return null;
            }

            var versions = await session.CompartmentAsync(patientId);
            if (stillExpired is not null && !stillExpired(versions))
            {
                return null;
            }

            var result = await session.EraseCompartmentAsync(patientId, NhsNumbersIn(versions));
            await audit(session);
            return result;
        }, cancellationToken);

        if (erased is not null)
        {
            logger.PatientErased(patientId, reason, erased.Resources, erased.Versions, erased.Invitations);
        }

        return erased;
    }

    /// <summary>The audit record of an erasure made by the service itself, not by a caller.</summary>
    public static AuditEntry ServiceEntry(string patientId, string interaction, DateTimeOffset at) =>
        new(at, "D", interaction, ResourceTypes.Patient, patientId, StatusCodes.Status200OK, "system", "wmtty-retention", "Wmtty retention", null, null, null, [patientId]);

    // Every NHS number any version of the Patient held: invitations are kept by NHS number.
    private static List<string> NhsNumbersIn(IReadOnlyList<StoredVersion> versions) =>
        [.. versions.Where(v => v.Type == ResourceTypes.Patient && v.Json is not null)
            .SelectMany(v => ((Patient)FhirSerialization.ReadStored(v.Json)).Identifier)
            .Where(i => i.System == NhsNumber.System && !string.IsNullOrEmpty(i.Value))
            .Select(i => i.Value!)
            .Distinct(StringComparer.Ordinal)];
}
