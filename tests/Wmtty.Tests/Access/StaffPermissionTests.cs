using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Wmtty.Api.SignIn;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Access;

/// <summary>Staff and systems without the role or scope an interaction needs get 403 with an OperationOutcome.</summary>
public sealed class StaffPermissionTests : AppTest
{
    private string patientId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
    }

    private async Task<HttpResponseMessage> SendAsync(string role, HttpMethod method, string url, string? body = null)
    {
        using var client = await App.ClientAsync(role);
        return await client.SendAsync(new HttpRequestMessage(method, url) { Content = body is null ? null : Infrastructure.Fhir.Json(body) });
    }

    public static TheoryData<string, string, string, string> Refused => new()
    {
        { "ehr", "POST", "/fhir/Patient", "system/Patient.c" },
        { "ehr", "DELETE", "/fhir/Patient/{patient}", "system/Patient.d" },
        { "ehr", "GET", "/fhir/AuditEvent", "system/AuditEvent.s" },
        { "ehrwriter", "GET", "/fhir/AuditEvent?patient={patient}", "system/AuditEvent.s" },
        { "chaplain", "POST", "/fhir/QuestionnaireResponse", "user/QuestionnaireResponse.c" },
        { "chaplain", "GET", "/fhir/Consent", "user/Consent.s" },
        { "connector", "GET", "/fhir/Observation?patient={patient}", "user/Observation.s" },
        { "connector", "GET", "/fhir/Observation/$lastn?patient={patient}", "user/Observation.rs" },
        { "connector", "GET", "/fhir/Patient/{patient}/$wmtty-summary", "user/Patient.r" },
        { "clinician", "GET", "/fhir/AuditEvent?patient={patient}", "user/AuditEvent.s" },
        { "patient", "DELETE", "/fhir/Observation/any", "patient/Observation.d" },
        { "patient", "POST", "/fhir/Patient", "patient/Patient.c" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task WithoutTheRoleOrScopeTheAnswerIs403(string role, string method, string url, string scope)
    {
        using var client = role == "patient" ? await App.ClientAsync("patient", NhsNumbers.Next()) : await App.ClientAsync(role);
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{patient}", patientId));
        if (method == "POST")
        {
            request.Content = Infrastructure.Fhir.Json(url.Contains("Patient") ? Infrastructure.Fhir.Patient(NhsNumbers.Next()) : Responses.Build(patientId, Responses.TypicalAnswers()).ToJsonString());
        }

        using var response = await client.SendAsync(request);
        var diagnostics = await response.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        Assert.Contains(scope, diagnostics);
        Assert.Equal(1, await CountAsync("Patient")); // nothing was written
    }

    [Fact]
    public async Task EachRoleCanDoWhatItIsFor()
    {
        using var ehrRead = await SendAsync("ehr", HttpMethod.Get, $"/fhir/Observation/$lastn?patient={patientId}");
        Assert.Equal(HttpStatusCode.OK, ehrRead.StatusCode);
        using var writerCreate = await SendAsync("ehrwriter", HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Patient(NhsNumbers.Next()));
        Assert.Equal(HttpStatusCode.Created, writerCreate.StatusCode);
        using var chaplainRead = await SendAsync("chaplain", HttpMethod.Get, $"/fhir/Observation?patient={patientId}");
        Assert.Equal(HttpStatusCode.OK, chaplainRead.StatusCode);
        using var connectorDefinitions = await SendAsync("connector", HttpMethod.Get, "/fhir/Questionnaire");
        Assert.Equal(HttpStatusCode.OK, connectorDefinitions.StatusCode);
        using var adminAudit = await SendAsync("admin", HttpMethod.Get, $"/fhir/AuditEvent?patient={patientId}");
        Assert.Equal(HttpStatusCode.OK, adminAudit.StatusCode);
    }

    public static TheoryData<string> Stripped => ["no-roles-delegated", "no-roles-app", "unknown-role", "read-scope-writing", "unknown-scope"];

    // Tokens that pass every signature and claim check, but grant nothing (or not enough): 403, never 200. One
    // with neither a scope nor a role Microsoft.Identity.Web already refuses at sign-in, with 401.
    [Theory]
    [MemberData(nameof(Stripped))]
    public async Task AValidTokenWithoutTheRoleOrScopeIsRefused(string kind)
    {
        var issuer = App.Services.GetRequiredService<DevelopmentTokenIssuer>();
        var token = issuer.Mint(DevelopmentRole.Clinician, null, d =>
        {
            switch (kind)
            {
                case "no-roles-delegated":
                    d.Claims.Remove("roles");
                    break;
                case "no-roles-app":
                    d.Claims.Remove("roles");
                    d.Claims.Remove("scp");
                    break;
                case "unknown-role":
                    d.Claims["roles"] = new[] { "Wmtty.Superuser" };
                    break;
                case "read-scope-writing":
                    d.Claims["scp"] = AccessNames.ReadScope;
                    break;
                default:
                    d.Claims["scp"] = "User.Read";
                    break;
            }
        });

        using var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var refused = kind == "no-roles-app" ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden;
        using var write = await client.PostAsync("/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(NhsNumbers.Next())));
        await write.AssertOutcomeAsync(refused);
        using var read = await client.GetAsync($"/fhir/Patient/{patientId}");
        Assert.Equal(kind == "read-scope-writing" ? HttpStatusCode.OK : refused, read.StatusCode);
        Assert.Equal(1, await CountAsync("Patient"));
        Assert.DoesNotContain(App.Logs.Lines, line => line.Contains(token, StringComparison.Ordinal));
    }
}
