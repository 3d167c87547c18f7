using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Wmtty.Api.Errors;
using Wmtty.Data.Invitations;
using NhsNumbers = Wmtty.Fhir.Patients.NhsNumber;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Invitations;

/// <summary>The body of <c>POST /invitations</c>.</summary>
internal sealed record InvitationRequest(
    [property: Description("The patient's NHS number: 10 digits, no spaces.")] string? NhsNumber,
    [property: Description("How long the link works, in hours: 1 to 336; 72 when not given.")] int? ValidForHours)
{
    public const int DefaultHours = 72;
    public const int MaxHours = 336;
    private const long MaxBodyBytes = 16 * 1024;
    private const string Example = "{\"nhsNumber\":\"9434765919\",\"validForHours\":72}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    [JsonIgnore]
    public int Hours => ValidForHours ?? DefaultHours;

    /// <summary>Reads and checks the body: 415 when it is not JSON, 400 when it cannot be read, 422 when it breaks a rule.</summary>
    public static async Task<InvitationRequest> ReadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.HasJsonContentType())
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, FhirOutcome.Error(IssueType.NotSupported, $"Send the invitation as application/json, such as {Example}."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        InvitationRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<InvitationRequest>(http.Request.Body, Json, cancellationToken);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            throw FhirException.BadRequest($"The body could not be read as an invitation. Send JSON such as {Example}, with no other fields.");
        }

        if (NhsNumbers.Check(request.NhsNumber) is { } problem)
        {
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.Invalid, problem, "nhsNumber"));
        }

        if (request.Hours is < 1 or > MaxHours)
        {
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.Invalid, $"validForHours must be a whole number of hours from 1 to {MaxHours} (two weeks).", "validForHours"));
        }

        return request;
    }
}

/// <summary>A new invitation: the link to send the patient. The link is shown this once and cannot be read back.</summary>
internal sealed record InvitationCreated(string Id, string Link, DateTime ExpiresAt, string Status);

/// <summary>An invitation as its creator sees it later: never the link, and the NHS number masked.</summary>
internal sealed record InvitationView(
    string Id,
    [property: Description("pending, used, revoked or expired")] string Status,
    [property: Description("The NHS number's last three digits, the rest masked.")] string NhsNumber,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime? UsedAt,
    DateTime? RevokedAt)
{
    public static InvitationView Of(Invitation invitation, DateTimeOffset now) => new(
        invitation.Id,
        StatusName(invitation.StateAt(now)),
        new string('*', invitation.NhsNumber.Length - 3) + invitation.NhsNumber[^3..],
        invitation.CreatedAt.UtcDateTime,
        invitation.ExpiresAt.UtcDateTime,
        invitation.UsedAt?.UtcDateTime,
        invitation.RevokedAt?.UtcDateTime);

    public static string StatusName(InvitationState state) => state.ToString().ToLowerInvariant();
}
