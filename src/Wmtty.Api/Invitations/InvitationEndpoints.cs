using Microsoft.AspNetCore.Http.HttpResults;
using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;
using Wmtty.Api.Portal;
using Wmtty.Api.SignIn;
using Wmtty.Data.Invitations;

namespace Wmtty.Api.Invitations;

/// <summary>
/// <c>/invitations</c>: single-use, expiring links to the patient portal for patients with no online
/// account, made by clinicians, community connectors and admins. A link is shown once, when made; only
/// its hash is kept. Its creator (or an admin) can see where it stands and cancel it while unused.
/// </summary>
internal static class InvitationEndpoints
{
    public const string Path = "/invitations";
    public const string LogCategory = "Wmtty.Invitations";

    public static WebApplication MapInvitations(this WebApplication app)
    {
        var invitations = app.MapGroup(Path).RequireAuthorization().RequireInviter().WithTags("Invitations");

        invitations.MapPost("", Create).AuditedAs("invitation-create", "C")
            .WithName("CreateInvitation").WithSummary("Create a single-use invitation link to the patient portal for an NHS number")
            .Accepts<InvitationRequest>("application/json");

        invitations.MapGet("/{id}", Read).AuditedAs("invitation-read", "R")
            .WithName("ReadInvitation").WithSummary("Where an invitation you made stands: pending, used, revoked or expired");

        invitations.MapDelete("/{id}", Revoke).AuditedAs("invitation-revoke", "D")
            .WithName("RevokeInvitation").WithSummary("Cancel an unused invitation link; cancelling it again changes nothing");

        return app;
    }

    private static async Task<Created<InvitationCreated>> Create(HttpContext http, IInvitationStore store, AccessPolicy policy, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var caller = Caller.Of(http)!;
        var request = await InvitationRequest.ReadAsync(http, cancellationToken);
        var nhsNumber = request.NhsNumber!;
        caller.Audit!.AddPatient(await policy.FindPatientIdAsync(nhsNumber, cancellationToken));

        var token = InvitationTokens.NewToken();
        var link = PortalEndpoints.InvitationLink(http, token); // before storing: a bad Host header is refused with nothing kept
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds()); // as stored
        var invitation = new Invitation(InvitationTokens.NewId(), nhsNumber, caller.Subject, now, now.AddHours(request.Hours), null, null);
        caller.Audit.ResourceId = invitation.Id;
        await store.CreateAsync(invitation, InvitationTokens.Hash(token), cancellationToken);
        loggers.CreateLogger(LogCategory).InvitationCreated(invitation.Id, request.Hours);

        return TypedResults.Created(
            $"{http.Request.PathBase}{Path}/{invitation.Id}",
            new InvitationCreated(invitation.Id, link, invitation.ExpiresAt.UtcDateTime, InvitationView.StatusName(InvitationState.Pending)));
    }

    private static async Task<Ok<InvitationView>> Read(string id, HttpContext http, IInvitationStore store, AccessPolicy policy, TimeProvider clock, CancellationToken cancellationToken)
    {
        var invitation = await FindOwnAsync(id, http, store, policy, cancellationToken);
        return TypedResults.Ok(InvitationView.Of(invitation, clock.GetUtcNow()));
    }

    private static async Task<NoContent> Revoke(string id, HttpContext http, IInvitationStore store, AccessPolicy policy, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var invitation = await FindOwnAsync(id, http, store, policy, cancellationToken);
        var revocation = await store.RevokeAsync(invitation.Id, clock.GetUtcNow(), cancellationToken);
        if (revocation.State == InvitationState.Used)
        {
            throw FhirException.Conflict("This invitation link has already been used, so it can no longer be cancelled.");
        }

        loggers.CreateLogger(LogCategory).InvitationRevoked(invitation.Id);
        return TypedResults.NoContent();
    }

    // The invitation, if the caller made it or is an admin. Anyone else's is "not found", whether or not it exists.
    private static async Task<Invitation> FindOwnAsync(string id, HttpContext http, IInvitationStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var caller = Caller.Of(http)!;
        var invitation = InvitationTokens.IsWellFormedId(id) ? await store.ReadAsync(id, cancellationToken) : null;
        if (invitation is not null)
        {
            caller.Audit!.AddPatient(await policy.FindPatientIdAsync(invitation.NhsNumber, cancellationToken));
        }

        if (invitation is null || (invitation.CreatedBy != caller.Subject && !caller.Roles.Contains(AccessNames.AdminRole)))
        {
            throw FhirException.NotFound("There is no invitation with this id that you made.");
        }

        return invitation;
    }
}
