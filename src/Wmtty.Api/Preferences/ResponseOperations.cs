using Microsoft.Extensions.Options;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Serialization;
using Wmtty.Fhir.Validation;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Preferences;

/// <summary>SDC operations: <c>$populate</c> a response from current preferences, and <c>$extract</c> Observations without storing them.</summary>
internal static class ResponseOperations
{
    public const string PopulateDefinition = "http://hl7.org/fhir/uv/sdc/OperationDefinition/Questionnaire-populate";
    public const string ExtractDefinition = "http://hl7.org/fhir/uv/sdc/OperationDefinition/QuestionnaireResponse-extract";

    public static void MapResponseOperations(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/Questionnaire/$populate", (HttpContext http, Services services, CancellationToken ct) => Populate(null, http, services, ct))
            .Operation(ResourceTypes.Questionnaire, "populate", PopulateDefinition,
                "An in-progress QuestionnaireResponse prefilled from the patient's current preferences (Parameters: subject; optionally questionnaireRef or canonical)")
            .Requires(ResourceTypes.Questionnaire, Interactions.Read).Requires(ResourceTypes.Observation, Interactions.Read)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/Questionnaire/{id}/$populate", (string id, HttpContext http, Services services, CancellationToken ct) => Populate(id, http, services, ct))
            .Operation(ResourceTypes.Questionnaire, "populate", PopulateDefinition, "The same, for this Questionnaire", "-instance")
            .Requires(ResourceTypes.Questionnaire, Interactions.Read).Requires(ResourceTypes.Observation, Interactions.Read)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/QuestionnaireResponse/$extract", (HttpContext http, Services services, CancellationToken ct) => Extract(null, http, services, ct))
            .Operation(ResourceTypes.QuestionnaireResponse, "extract", ExtractDefinition,
                "The Observations a QuestionnaireResponse would yield, as a transaction Bundle; nothing is stored")
            .Requires(ResourceTypes.QuestionnaireResponse, Interactions.Read)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/QuestionnaireResponse/{id}/$extract", (string id, HttpContext http, Services services, CancellationToken ct) => Extract(id, http, services, ct))
            .Operation(ResourceTypes.QuestionnaireResponse, "extract", ExtractDefinition, "The same, for a stored QuestionnaireResponse", "-instance")
            .Requires(ResourceTypes.QuestionnaireResponse, Interactions.Read)
            .ProducesFhir(StatusCodes.Status200OK);
    }

    private static async Task<IResult> Populate(string? id, HttpContext http, Services services, CancellationToken cancellationToken)
    {
        var parameters = (Parameters)await FhirBody.ReadResourceAsync(http, "Parameters", cancellationToken);
        var reader = StoreReader.In(services.Store, cancellationToken);
        var subject = Single<ResourceReference>(parameters, "subject")
            ?? throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.Required, "$populate needs the patient: a 'subject' parameter with a Patient reference or NHS number identifier.", "Parameters.parameter"));
        var caller = Caller.Of(http);
        AccessPolicy.RequireOwnPatient(caller, subject, FhirRequest.BaseUri(http));
        var patientId = await PatientResolver.ResolveAsync(subject, FhirRequest.BaseUri(http), reader, "Parameters.parameter.where(name = 'subject').value");
        caller?.Audit?.AddPatient(patientId);
        var questionnaire = await QuestionnaireAsync(id, parameters, services, cancellationToken);

        var withheld = await services.Access.WithheldAsync(caller, patientId, cancellationToken);
        var current = (await services.Preferences.CurrentAsync(patientId, cancellationToken)).Where(p => !services.Access.IsWithheld(withheld, p.Tokens));
        var observations = current.Select(p => (Observation)FhirSerialization.ReadStored(p.Match.Json)).ToList();
        var response = ResponsePopulator.Populate(questionnaire, observations, new ResourceReference($"{ResourceTypes.Patient}/{patientId}"), services.Clock.GetUtcNow());
        var result = new Parameters();
        result.Add("response", response);
        return FhirResult.Of(StatusCodes.Status200OK, result);
    }

    private static async Task<Questionnaire> QuestionnaireAsync(string? id, Parameters parameters, Services services, CancellationToken cancellationToken)
    {
        var reader = StoreReader.In(services.Store, cancellationToken);
        var named = new[] { "questionnaireRef", "canonical", "questionnaire", "identifier" }.Where(n => parameters.Parameter.Any(p => p.Name == n)).ToList();
        if (named.Count + (id is null ? 0 : 1) > 1)
        {
            throw FhirException.BadRequest($"Name the questionnaire once: by the URL's id or one of questionnaireRef and canonical, not {string.Join(" and ", named.Prepend(id is null ? null : "the id").OfType<string>())}.");
        }

        if (named is ["questionnaire" or "identifier"])
        {
            throw FhirException.BadRequest($"$populate here takes the questionnaire as questionnaireRef or canonical (or in the URL), not as '{named[0]}'.", IssueType.NotSupported);
        }

        if (id is not null)
        {
            return await services.Store.ReadLiveAsync<Questionnaire>(id, cancellationToken);
        }

        if (Single<ResourceReference>(parameters, "questionnaireRef") is { Reference: { } reference })
        {
            var parts = reference.Split('/');
            return parts.Length == 2 && parts[0] == ResourceTypes.Questionnaire
                ? await QuestionnaireAsync(parts[1], new Parameters(), services, cancellationToken)
                : (await services.Questionnaires.FindAsync(reader, reference, "Parameters.parameter.where(name = 'questionnaireRef').value")).Resource;
        }

        if (Single<PrimitiveType>(parameters, "canonical") is { } canonical)
        {
            var url = canonical is Hl7.Fhir.Model.Canonical or Hl7.Fhir.Model.FhirUri or Hl7.Fhir.Model.FhirString && canonical.JsonValue is string text
                ? text
                : throw FhirException.BadRequest($"The parameter 'canonical' must be a canonical URL (valueCanonical or valueUri), not a {canonical.TypeName}.");
            return url.Contains('|')
                ? (await services.Questionnaires.FindAsync(reader, url, "Parameters.parameter.where(name = 'canonical').value")).Resource
                : await LatestAsync(url, services, cancellationToken);
        }

        return await LatestAsync(WhatMattersQuestionnaire.Url(services.Definitions.Value.CanonicalBase), services, cancellationToken);
    }

    private static async Task<Questionnaire> LatestAsync(string url, Services services, CancellationToken cancellationToken) =>
        (await services.Questionnaires.LatestAsync(services.Store, url, cancellationToken))?.Resource
        ?? throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotFound, $"No active questionnaire '{FhirText.Shorten(url, 200)}' is known here."));

    private static async Task<IResult> Extract(string? id, HttpContext http, Services services, CancellationToken cancellationToken)
    {
        QuestionnaireResponse response;
        var caller = Caller.Of(http);
        if (id is not null)
        {
            if (await services.Store.ReadAsync(ResourceTypes.QuestionnaireResponse, id, cancellationToken) is not { } stored || !AccessPolicy.InReach(caller, stored.Type, stored.Compartment))
            {
                throw FhirException.NotFound($"QuestionnaireResponse/{id} does not exist.");
            }

            response = await services.Store.ReadLiveAsync<QuestionnaireResponse>(id, cancellationToken);
        }
        else
        {
            response = await FhirBody.ReadResourceAsync(http, ResourceTypes.QuestionnaireResponse, cancellationToken, alsoAccepted: "Parameters") switch
            {
                QuestionnaireResponse given => given,
                Parameters parameters => SingleParameter(parameters, "questionnaire-response")?.Resource as QuestionnaireResponse
                    ?? throw FhirException.BadRequest("Send the QuestionnaireResponse itself, or Parameters with it as 'questionnaire-response'.", IssueType.Required),
                _ => throw FhirException.BadRequest("Send a QuestionnaireResponse."),
            };
            var issues = BusinessRules.Check(response);
            if (issues.Count > 0)
            {
                throw FhirException.Unprocessable(FhirOutcome.Of(issues));
            }

            AccessPolicy.RequireOwnPatient(caller, response.Subject, FhirRequest.BaseUri(http));
        }

        // derivedFrom names a stored response only: a body's own id may name nothing here.
        var plan = await services.Responses.PrepareAsync(StoreReader.In(services.Store, cancellationToken), response, id, FhirRequest.BaseUri(http), services.Clock.GetUtcNow());
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        if (plan.Extracted is null)
        {
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.Incomplete,
                $"Only a completed or amended response gives Observations; this one is '{response.Status?.ToString() ?? "without a status"}'.", "QuestionnaireResponse.status"));
        }

        caller?.Audit?.AddPatient(plan.PatientId);
        var withheld = await services.Access.WithheldAsync(caller, plan.PatientId, cancellationToken);
        foreach (var preference in plan.Extracted.Where(p => !p.Observation.Category.Any(c => c.Coding.Any(x => x.System == services.Access.SectionSystem && withheld.Contains(x.Code ?? "")))))
        {
            var observation = preference.Observation;
            var fullUrl = "urn:uuid:" + observation.Id;
            observation.Id = null; // a transaction create gets its id from the server
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = fullUrl,
                Resource = observation,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = ResourceTypes.Observation },
            });
        }

        return FhirResult.Of(StatusCodes.Status200OK, bundle);
    }

    private static Parameters.ParameterComponent? SingleParameter(Parameters parameters, string name)
    {
        var given = parameters.Parameter.Where(p => p.Name == name).ToList();
        return given.Count <= 1
            ? given.FirstOrDefault()
            : throw FhirException.BadRequest($"The parameter '{name}' is given {given.Count} times; this operation takes it once.");
    }

    private static T? Single<T>(Parameters parameters, string name)
        where T : Hl7.Fhir.Model.DataType
    {
        var parameter = SingleParameter(parameters, name);
        return parameter is null ? null
            : parameter.Value as T ?? throw FhirException.BadRequest($"The parameter '{name}' has the wrong type ({parameter.Value?.TypeName ?? parameter.Resource?.TypeName ?? "no value"}).");
    }

    /// <summary>What the operations need, resolved once per request.</summary>
    internal sealed class Services(IResourceStore store, IPreferenceStore preferences, QuestionnaireLookup questionnaires, ResponseProcessor responses, IOptions<DefinitionOptions> definitions, TimeProvider clock, AccessPolicy access)
    {
        public AccessPolicy Access { get; } = access;
        public IResourceStore Store { get; } = store;
        public IPreferenceStore Preferences { get; } = preferences;
        public QuestionnaireLookup Questionnaires { get; } = questionnaires;
        public ResponseProcessor Responses { get; } = responses;
        public IOptions<DefinitionOptions> Definitions { get; } = definitions;
        public TimeProvider Clock { get; } = clock;
    }
}
