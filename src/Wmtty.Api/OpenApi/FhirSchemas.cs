using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Wmtty.Api.OpenApi;

// These types exist only to describe FHIR JSON in the OpenAPI document. The service never binds to
// them: bodies are read and written by the Firely SDK, and the FHIR specification defines them in full.

/// <summary>A FHIR R4 resource in JSON (application/fhir+json). See https://hl7.org/fhir/R4/resourcelist.html.</summary>
[Description("A FHIR R4 resource in JSON (application/fhir+json). See https://hl7.org/fhir/R4/resourcelist.html.")]
internal sealed class FhirResourceSchema
{
    [Description("The resource type, e.g. Patient, Questionnaire, QuestionnaireResponse, Observation, Bundle.")]
    [JsonRequired]
    public string ResourceType { get; set; } = "";

    [Description("Logical id, assigned by the server on create.")]
    public string? Id { get; set; }

    public FhirMetaSchema? Meta { get; set; }
}

/// <summary>Version metadata the server maintains.</summary>
[Description("Version metadata the server maintains.")]
internal sealed class FhirMetaSchema
{
    public string? VersionId { get; set; }

    public DateTimeOffset? LastUpdated { get; set; }
}

/// <summary>What went wrong, as a FHIR OperationOutcome. See https://hl7.org/fhir/R4/operationoutcome.html.</summary>
[Description("What went wrong, as a FHIR OperationOutcome. See https://hl7.org/fhir/R4/operationoutcome.html.")]
internal sealed class OperationOutcomeSchema
{
    [Description("Always 'OperationOutcome'.")]
    [JsonRequired]
    public string ResourceType { get; set; } = "OperationOutcome";

    [JsonRequired]
    public List<OperationOutcomeIssueSchema> Issue { get; set; } = [];
}

[Description("One issue: how severe, what kind, and in plain words what to do about it.")]
internal sealed class OperationOutcomeIssueSchema
{
    [Description("fatal | error | warning | information")]
    [JsonRequired]
    public string Severity { get; set; } = "";

    [Description("The FHIR issue type, e.g. invalid, not-found, conflict, business-rule.")]
    [JsonRequired]
    public string Code { get; set; } = "";

    public string? Diagnostics { get; set; }

    public List<string>? Expression { get; set; }
}
