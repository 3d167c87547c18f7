using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Logging;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Consents;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Access;

/// <summary>
/// Which records a caller may see, decided here for every read path (read, vread, history, search,
/// <c>$lastn</c>, the summary, <c>$populate</c> and <c>$extract</c>):
/// <list type="bullet">
/// <item>a patient sees only their own compartment; anything else is "not found", whether or not it exists;</item>
/// <item>staff and systems see what the patient's Consent does not withhold from their audience:
/// Observations of a withheld section are left out, responses and the Patient are redacted.</item>
/// </list>
/// </summary>
internal sealed class AccessPolicy(IResourceStore store, IOptions<DefinitionOptions> definitions, ILogger<AccessPolicy> logger)
{
    public const string CategoryParam = "category";

    public string SectionSystem { get; } = PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase);

    /// <summary>Finds the Patient with the signed-in patient's NHS number; "" when there is none (or more than one).</summary>
    public async Task FindOwnPatientAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.PatientId is not null || caller.NhsNumber is null)
        {
            return;
        }

        caller.PatientId = await FindPatientIdAsync(caller.NhsNumber, cancellationToken);
    }

    /// <summary>The id of the one Patient with this NHS number; "" when there is none (or more than one).</summary>
    public async Task<string> FindPatientIdAsync(string nhsNumber, CancellationToken cancellationToken)
    {
        var query = new SearchQuery(ResourceTypes.Patient) { IncludeJson = false }.Where(new TokenCondition("identifier", NhsNumber.System, nhsNumber));
        var matches = await store.SearchAsync(query, 2, cancellationToken);
        if (matches.Count > 1)
        {
            logger.PatientAmbiguous();
        }

        return matches.Count == 1 ? matches[0].Id : "";
    }

    /// <summary>Limits a search to what the caller may see, in SQL, so pages and totals never count the rest.</summary>
    public void Restrict(Caller? caller, SearchQuery query)
    {
        if (caller is null || SmartScope.IsDefinition(query.ResourceType))
        {
            return;
        }

        if (caller.IsPatient)
        {
            query.Compartment = caller.PatientId ?? "";
        }
        else if (query.ResourceType == ResourceTypes.Observation)
        {
            query.Withholding = new Withholding(CategoryParam, caller.Audiences);
        }
        else if (query.ResourceType == ResourceTypes.Patient
            && query.Clauses.SelectMany(c => c).Any(c => c is TokenCondition { Param: "language" }))
        {
            // A redacted Patient still answers a search by language: leave out those who withhold it.
            query.HideWhereWithheld = new SectionWithheld(SectionSystem, Redaction.LanguageSection, caller.Audiences);
        }
    }

    /// <summary>404 when a patient names a patient other than themselves, whether or not that patient exists.</summary>
    public static void RequireOwn(Caller? caller, string? patientId)
    {
        caller?.Audit?.AddPatient(patientId);
        if (caller is { IsPatient: true } && (string.IsNullOrEmpty(caller.PatientId) || patientId != caller.PatientId))
        {
            throw FhirException.NotFound($"Patient/{patientId} does not exist.");
        }
    }

    /// <summary>
    /// For a search or <c>$lastn</c>: every patient its criteria name goes into the audit record, and a
    /// patient naming anyone but themselves (by reference, NHS number, or Patient id or identifier) gets
    /// 404, decided from the criteria alone, before any lookup.
    /// </summary>
    public static void RequireOnlyOwnPatient(Caller? caller, SearchQuery query)
    {
        var isPatient = query.ResourceType == ResourceTypes.Patient;
        foreach (var condition in query.Clauses.SelectMany(c => c))
        {
            var named = condition switch
            {
                ReferenceCondition reference when reference.TargetType == ResourceTypes.Patient || reference.Param is "patient" or "subject" => reference.TargetId,
                IdCondition id when isPatient => id.Id,
                _ => null,
            };
            if (named is not null && ResourceTypes.IsValidId(named))
            {
                caller?.Audit?.AddPatient(named); // audited against the patients it names, even if it counts only or is refused
            }

            if (caller is not { IsPatient: true })
            {
                continue;
            }

            bool? own = condition switch
            {
                ReferenceCondition reference when named is not null => reference.TargetType is null or ResourceTypes.Patient && reference.TargetId == caller.PatientId,
                IdCondition id when isPatient => id.Id == caller.PatientId,
                ReferenceIdentifierCondition identifier when identifier.Param is "patient" or "subject" =>
                    identifier.Value == caller.NhsNumber && identifier.System is null or NhsNumber.System,
                TokenCondition { Param: "identifier" } token when isPatient => token.Code == caller.NhsNumber,
                _ => null, // names no patient
            };
            if (own == false || (own == true && string.IsNullOrEmpty(caller.PatientId)))
            {
                throw FhirException.NotFound("No patient of that reference or identifier exists.");
            }
        }
    }

    /// <summary>Whether a reference names the signed-in patient themselves, by literal reference and/or NHS number; decided without any lookup.</summary>
    public static bool NamesOwnPatient(Caller caller, Hl7.Fhir.Model.ResourceReference? named, Uri localBase) =>
        !string.IsNullOrEmpty(caller.PatientId)
        && named is not null
        && (named.Reference is not null || named.Identifier is not null)
        && (named.Reference is null || (Wmtty.Fhir.Search.LocalReference.Parse(named.Reference, localBase) is { Type: ResourceTypes.Patient } local && local.Id == caller.PatientId))
        && (named.Identifier is null || (named.Identifier.System == NhsNumber.System && named.Identifier.Value == caller.NhsNumber));

    /// <summary>404 when a patient's request names another patient, answered before any lookup so it cannot tell whether they exist.</summary>
    public static void RequireOwnPatient(Caller? caller, Hl7.Fhir.Model.ResourceReference? named, Uri localBase)
    {
        if (caller is { IsPatient: true } && !NamesOwnPatient(caller, named, localBase))
        {
            throw FhirException.NotFound("No such patient exists.");
        }
    }

    /// <summary>Whether the caller may know the record exists at all: the compartment test alone.</summary>
    public static bool InReach(Caller? caller, string type, string? compartment) =>
        caller is not { IsPatient: true } || SmartScope.IsDefinition(type) || (!string.IsNullOrEmpty(compartment) && compartment == caller.PatientId);

    /// <summary>What the caller may see of one stored resource: its bytes, redacted where Consent withholds, or null for nothing.</summary>
    public async ValueTask<byte[]?> DiscloseAsync(Caller? caller, string type, string? compartment, byte[] json, CancellationToken cancellationToken)
    {
        if (caller is null || SmartScope.IsDefinition(type))
        {
            return json;
        }

        caller.Audit?.AddPatient(compartment);
        if (caller.IsPatient)
        {
            return InReach(caller, type, compartment) ? json : null;
        }

        if (compartment is null)
        {
            return json;
        }

        var withheld = await WithheldAsync(caller, compartment, cancellationToken);
        if (withheld.Count == 0)
        {
            return json;
        }

        return Redaction.IsHidden(type, json, withheld, SectionSystem) ? null : Redaction.Redact(type, json, withheld);
    }

    /// <summary>The section codes the patient's Consent withholds from this caller; none for the patient themselves.</summary>
    public async ValueTask<IReadOnlySet<string>> WithheldAsync(Caller? caller, string patientId, CancellationToken cancellationToken)
    {
        if (caller is null or { IsPatient: true })
        {
            return Empty;
        }

        if (caller.Withheld.TryGetValue(patientId, out var known))
        {
            return known;
        }

        var rows = await store.WithheldAsync(patientId, cancellationToken);
        var codes = rows.Where(r => r.SectionSystem == SectionSystem && (r.Audience == "*" || caller.Audiences.Contains(r.Audience)))
            .Select(r => r.SectionCode).ToHashSet(StringComparer.Ordinal);
        caller.Withheld[patientId] = codes;
        return codes;
    }

    /// <summary>Whether a row's category tokens put it in a withheld section.</summary>
    public bool IsWithheld(IReadOnlySet<string> withheld, IEnumerable<TokenRow> tokens) =>
        withheld.Count > 0 && tokens.Any(t => t.Param == CategoryParam && t.System == SectionSystem && withheld.Contains(t.Code));

    private static readonly IReadOnlySet<string> Empty = new HashSet<string>();
}
