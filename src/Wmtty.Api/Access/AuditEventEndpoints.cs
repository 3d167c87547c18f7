using System.Globalization;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Search;
using Wmtty.Data.Audit;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
using AuditEvent = Hl7.Fhir.Model.AuditEvent;

namespace Wmtty.Api.Access;

/// <summary>
/// The audit trail as FHIR AuditEvent, read-only: for admins, everything; for a patient, who has looked
/// at their data. The records are built from the append-only audit tables on each read.
/// </summary>
internal static class AuditEventEndpoints
{
    public const string Type = "AuditEvent";
    private const string Cursor = "_cursor";

    public static void MapAuditEvents(this RouteGroupBuilder fhir)
    {
        fhir.MapGet($"/{Type}", Search)
            .Interaction(Type, FhirInteraction.SearchType, "Search the audit trail: patient, date (with ge, gt, le, lt), _count; newest first")
            .ProducesFhir(StatusCodes.Status200OK);

        fhir.MapGet($"/{Type}/{{id}}", Read)
            .Interaction(Type, FhirInteraction.Read, "Read one audit record")
            .ProducesFhir(StatusCodes.Status200OK);
    }

    private static async Task<IResult> Read(string id, HttpContext http, IAuditStore audit, CancellationToken cancellationToken)
    {
        var caller = Caller.Of(http)!;
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var key) || key < 1
            || await audit.ReadAsync(key, cancellationToken) is not { } entry
            || (caller.IsPatient && !entry.Patients.Contains(caller.PatientId ?? "")))
        {
            throw FhirException.NotFound($"{Type}/{FhirText.Shorten(id, 64)} does not exist.");
        }

        return FhirResult.Of(StatusCodes.Status200OK, ToAuditEvent(entry, caller, FhirRequest.BaseUrl(http)));
    }

    private static async Task<IResult> Search(HttpContext http, IAuditStore audit, CancellationToken cancellationToken)
    {
        var caller = Caller.Of(http)!;
        string? patient = null;
        long from = FhirDateRange.MinValue, to = FhirDateRange.MaxValue, before = long.MaxValue;
        var count = SearchRequest.DefaultCount;
        foreach (var (name, values) in http.Request.Query)
        {
            foreach (var value in values.Select(v => v ?? ""))
            {
                switch (name)
                {
                    case "patient":
                        var id = value.StartsWith("Patient/", StringComparison.Ordinal) ? value["Patient/".Length..] : value;
                        if (!ResourceTypes.IsValidId(id) || (patient is not null && patient != id))
                        {
                            throw FhirException.BadRequest("patient must name one patient, as Patient/<id> or <id>.");
                        }

                        patient = id;
                        break;
                    case "date":
                        (from, to) = Narrow(value, from, to);
                        break;
                    case "_count":
                        count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c is > 0 and <= SearchRequest.MaxCount
                            ? c
                            : throw FhirException.BadRequest($"_count must be a whole number from 1 to {SearchRequest.MaxCount}.");
                        break;
                    case Cursor:
                        before = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
                            ? b
                            : throw FhirException.BadRequest("The _cursor value is not valid. Follow the next link exactly as it was given.");
                        break;
                    case "_format" or "_pretty":
                        break;
                    default:
                        throw FhirException.BadRequest($"AuditEvent search takes patient, date and _count, not '{FhirText.Shorten(name, 40)}'.", IssueType.NotSupported);
                }
            }
        }

        if (caller.IsPatient)
        {
            // A patient sees who looked at their own data, and asking about anyone else is "not found".
            AccessPolicy.RequireOwn(caller, patient ?? caller.PatientId);
            patient = caller.PatientId;
        }

        caller.Audit?.AddPatient(patient);
        var entries = await audit.SearchAsync(new AuditQuery(patient, Instant(from), Instant(to), before, count + 1), cancellationToken);
        var baseUrl = FhirRequest.BaseUrl(http);
        var kept = http.Request.Query.Where(p => p.Key != Cursor).SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v))).ToList();
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Searchset,
            Link = [new Bundle.LinkComponent { Relation = "self", Url = $"{baseUrl}/{Type}{http.Request.QueryString}" }],
        };
        foreach (var entry in entries.Take(count))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{Type}/{entry.Key}",
                Resource = ToAuditEvent(entry, caller, baseUrl),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        if (entries.Count > count)
        {
            var next = kept.Append(new(Cursor, entries[count - 1].Key.ToString(CultureInfo.InvariantCulture)));
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = $"{baseUrl}/{Type}{QueryString.Create(next)}" });
        }

        return FhirResult.Of(StatusCodes.Status200OK, bundle);
    }

    private static DateTimeOffset Instant(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(
        Math.Clamp(milliseconds, DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));

    private static (long From, long To) Narrow(string value, long from, long to)
    {
        var prefix = value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]) ? value[..2] : "eq";
        var text = prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..];
        if (!FhirDateRange.TryParse(text.Replace(' ', '+'), out var range))
        {
            throw FhirException.BadRequest($"'{FhirText.Shorten(value, 40)}' is not a date: use a FHIR date or instant, with ge, gt, le or lt before it.");
        }

        return prefix switch
        {
            "ge" => (Math.Max(from, range.Low), to),
            "gt" => (Math.Max(from, range.High + 1), to),
            "le" => (from, Math.Min(to, range.High)),
            "lt" => (from, Math.Min(to, range.Low - 1)),
            "eq" => (Math.Max(from, range.Low), Math.Min(to, range.High)),
            _ => throw FhirException.BadRequest($"The date prefix '{prefix}' is not supported on AuditEvent: use ge, gt, le, lt or none."),
        };
    }

    /// <summary>One audit record as an AuditEvent. A patient reading it sees themselves as "you", and never who another patient was.</summary>
    public static AuditEvent ToAuditEvent(AuditEntry entry, Caller reader, string baseUrl)
    {
        var restful = entry.Interaction.StartsWith('$') ? "operation" : entry.Interaction;
        var fromPatient = entry.CallerKind is "patient" or "invitation";
        var self = reader.IsPatient && fromPatient && entry.Subject == reader.Subject;
        var hidden = reader.IsPatient && fromPatient && !self;
        var agent = new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept { Text = entry.CallerKind },
            Requestor = true,
            Who = hidden
                ? new ResourceReference { Display = "Someone else signed in as a patient" }
                : new ResourceReference
                {
                    Identifier = new Hl7.Fhir.Model.Identifier { Value = entry.Subject },
                    Display = self ? "You" : entry.SubjectName ?? (fromPatient ? "The patient" : entry.CallerKind == "system" ? "An application" : "A member of staff"),
                },
            Role = hidden || entry.Roles is null ? [] : [.. entry.Roles.Split(' ').Select(r => new CodeableConcept { Text = r })],
        };

        var audit = new AuditEvent
        {
            Id = entry.Key.ToString(CultureInfo.InvariantCulture),
            Meta = new Hl7.Fhir.Model.Meta { LastUpdated = entry.Recorded },
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype = [new Coding("http://hl7.org/fhir/restful-interaction", restful) { Display = entry.Interaction }],
            Action = entry.Action switch
            {
                "C" => AuditEvent.AuditEventAction.C,
                "R" => AuditEvent.AuditEventAction.R,
                "U" => AuditEvent.AuditEventAction.U,
                "D" => AuditEvent.AuditEventAction.D,
                _ => AuditEvent.AuditEventAction.E,
            },
            Recorded = entry.Recorded,
            Outcome = entry.Status switch
            {
                < 400 => AuditEvent.AuditEventOutcome.N0,
                < 500 => AuditEvent.AuditEventOutcome.N4,
                _ => AuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = $"{entry.Status} {ReasonPhrases(entry.Status)}",
            Agent = [agent],
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = "Wmtty" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };

        if (!hidden && entry.ClientId is not null)
        {
            audit.Agent.Add(new AuditEvent.AgentComponent
            {
                Type = new CodeableConcept { Text = "client application" },
                Requestor = false,
                Who = new ResourceReference { Identifier = new Hl7.Fhir.Model.Identifier { Value = entry.ClientId } },
            });
        }

        // A patient sees only themselves among the patients a record names, never who else was looked up or who looked them up.
        foreach (var patient in reader.IsPatient ? entry.Patients.Where(p => p == reader.PatientId) : entry.Patients)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference($"{ResourceTypes.Patient}/{patient}"),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        }

        if (entry.ResourceType is not null && !hidden)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = entry.ResourceId is null ? new ResourceReference { Display = entry.ResourceType } : new ResourceReference($"{entry.ResourceType}/{entry.ResourceId}"),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
            });
        }

        return audit;
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
