using Wmtty.Api.Access;
using Wmtty.Api.Errors;

namespace Wmtty.Api.Invitations;

/// <summary>The name and FHIR AuditEvent action an invitation endpoint is audited as.</summary>
internal sealed record InvitationInteraction(string Name, string Action);

/// <summary>
/// Authorization and audit for <c>/invitations</c>: only callers who may invite get further (403
/// otherwise), and every request, allowed or refused, is in the audit trail before it is answered.
/// Which invitations a caller may see is the endpoints' decision: their own, or all for an admin.
/// </summary>
internal static class InvitationAccess
{
    public static RouteHandlerBuilder AuditedAs(this RouteHandlerBuilder builder, string name, string action) =>
        builder.WithMetadata(new InvitationInteraction(name, action));

    public static RouteGroupBuilder RequireInviter(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var interaction = http.GetEndpoint()?.Metadata.GetMetadata<InvitationInteraction>()
                ?? throw FhirException.Forbidden("This endpoint has no audit rule, so it is refused."); // fail closed
            // Only a well-formed id goes into the audit record: whatever else was in the URL might be a token or an NHS number.
            var id = http.GetRouteValue("id") as string;
            var (caller, record) = AuditedRequest.Start(http, interaction.Action, interaction.Name, null, InvitationTokens.IsWellFormedId(id) ? id : null);
            return await AuditedRequest.RunAsync(http, record, async () =>
            {
                if (!caller.CanInvite)
                {
                    throw FhirException.Forbidden(
                        "Only clinicians, community connectors and administrators can create or manage invitation links, and only with read-write access.");
                }

                return await next(context);
            });
        });
        return group;
    }
}
