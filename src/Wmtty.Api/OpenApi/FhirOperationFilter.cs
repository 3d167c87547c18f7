using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Wmtty.Api.Fhir;
using Wmtty.Api.Search;

namespace Wmtty.Api.OpenApi;

/// <summary>
/// Adds what minimal-API metadata cannot say: which operations need a bearer token, the
/// OperationOutcome every FHIR error carries, and each resource type's search parameters.
/// </summary>
internal sealed class FhirOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var needsToken = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (needsToken)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.BearerScheme, context.Document)] = [] });
        }

        var interaction = metadata.OfType<FhirInteraction>().FirstOrDefault();
        var path = context.ApiDescription.RelativePath!;
        if (interaction is null && !path.StartsWith("fhir", StringComparison.Ordinal) && !path.StartsWith("invitations", StringComparison.Ordinal))
        {
            return;
        }

        var outcome = context.SchemaGenerator.GenerateSchema(typeof(OperationOutcomeSchema), context.SchemaRepository);
        operation.Responses ??= [];
        operation.Responses["default"] = new OpenApiResponse
        {
            Description = "An error, described by an OperationOutcome: 400 unreadable, 401 no token, 403 not allowed, 404 not found, " +
                "405 method not allowed, 406/415 unsupported media type, 410 deleted, 412 version mismatch, 413 body over 1 MB, 422 broken rule.",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [FhirFormats.JsonMediaType] = new OpenApiMediaType { Schema = outcome },
            },
        };

        if (interaction?.Code == FhirInteraction.SearchType && context.ApiDescription.HttpMethod == "GET")
        {
            AddSearchParameters(operation, interaction.ResourceType);
        }
    }

    private static void AddSearchParameters(OpenApiOperation operation, string resourceType)
    {
        operation.Parameters ??= [];
        foreach (var (name, type, _, description) in Wmtty.Fhir.Search.SearchParameters.Common)
        {
            operation.Parameters.Add(Query(name, type, description));
        }

        foreach (var definition in Wmtty.Fhir.Search.SearchParameters.For(resourceType).OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            operation.Parameters.Add(Query(definition.Name, definition.Type, definition.Description));
        }

        operation.Parameters.Add(Control("_count", $"Page size, {SearchRequest.DefaultCount} by default and at most {SearchRequest.MaxCount}."));
        operation.Parameters.Add(Control("_sort", "_lastUpdated or -_lastUpdated; insertion order when absent."));
        operation.Parameters.Add(Control("_summary", "count: return the total only."));
        operation.Parameters.Add(Control("_total", "accurate: include the total number of matches (costs a count)."));
    }

    private static OpenApiParameter Query(string name, SearchParamType type, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = $"{type.ToString().ToLowerInvariant()}: {description}",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static OpenApiParameter Control(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
