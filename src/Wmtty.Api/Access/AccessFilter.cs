using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Access;

/// <summary>What an endpoint needs of the caller's SMART permissions, beyond what its FHIR interaction implies.</summary>
internal sealed record AccessRequirement(string ResourceType, Interactions Interactions);

internal static class AccessRequirementExtensions
{
    public static RouteHandlerBuilder Requires(this RouteHandlerBuilder builder, string resourceType, Interactions interactions) =>
        builder.WithMetadata(new AccessRequirement(resourceType, interactions));
}

/// <summary>
/// Authorization for every FHIR endpoint, in one place. It works out the caller, checks their SMART
/// permissions against what the endpoint needs (403 with an OperationOutcome when they fall short), finds
/// a patient's own Patient, and records the request in the audit trail, allowed or refused, before the
/// answer is sent. Which records a caller may then see is <see cref="AccessPolicy"/>'s decision.
/// </summary>
internal static class AccessFilter
{
    public static RouteGroupBuilder RequireFhirAccess(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var metadata = http.GetEndpoint()?.Metadata;
            var interaction = metadata?.GetMetadata<FhirInteraction>();
            var operation = metadata?.GetMetadata<FhirOperation>();
            if (interaction is null && operation is null)
            {
                return await next(context); // the CapabilityStatement: no patient data
            }

            var type = interaction?.ResourceType ?? operation!.ResourceType;
            var id = http.GetRouteValue("id") as string;
            var services = http.RequestServices;
            var (caller, record) = AuditedRequest.Start(http, Action(interaction), interaction?.Code ?? "$" + operation!.Name, type, id);
            if (type == ResourceTypes.Patient && id is not null)
            {
                record.AddPatient(id);
            }

            return await AuditedRequest.RunAsync(http, record, async () =>
            {
                var needed = metadata!.GetOrderedMetadata<AccessRequirement>();
                if (needed.Count == 0 && interaction is null)
                {
                    throw FhirException.Forbidden("This operation has no access rule, so it is refused."); // fail closed
                }

                foreach (var requirement in needed.Count > 0 ? needed : [new AccessRequirement(type, Needed(interaction!))])
                {
                    if (!caller.Allows(requirement.ResourceType, requirement.Interactions))
                    {
                        throw FhirException.Forbidden(
                            $"Your sign-in does not allow this: it needs {Scope(caller, requirement)}. " +
                            (caller.Scopes.Count == 0 ? "It grants no permissions here: ask for a Wmtty role." : $"It grants {caller}."));
                    }
                }

                if (caller.IsPatient)
                {
                    await services.GetRequiredService<AccessPolicy>().FindOwnPatientAsync(caller, http.RequestAborted);
                }

                return await next(context);
            });
        });
        return group;
    }

    public static string Scope(Caller caller, AccessRequirement requirement) =>
        new SmartScope(caller.Kind switch { CallerKind.System => "system", CallerKind.User => "user", _ => "patient" }, requirement.ResourceType, requirement.Interactions).ToString();

    private static Interactions Needed(FhirInteraction interaction) => interaction.Code switch
    {
        FhirInteraction.Create => Interactions.Create,
        FhirInteraction.Update => Interactions.Update,
        FhirInteraction.Delete => Interactions.Delete,
        FhirInteraction.SearchType => Interactions.Search,
        _ => Interactions.Read,
    };

    // FHIR AuditEvent.action: a search or an operation executes; the rest say what they do.
    private static string Action(FhirInteraction? interaction) => interaction?.Code switch
    {
        FhirInteraction.Create => "C",
        FhirInteraction.Update => "U",
        FhirInteraction.Delete => "D",
        FhirInteraction.Read or FhirInteraction.VRead or FhirInteraction.HistoryInstance => "R",
        _ => "E",
    };
}
