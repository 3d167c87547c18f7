using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Wmtty.Api.OpenApi;

/// <summary>FHIR resources have far more elements than the schemas list, so the schemas must allow them.</summary>
internal sealed class FhirSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema concrete && context.Type.Namespace == typeof(FhirSchemaFilter).Namespace)
        {
            concrete.AdditionalPropertiesAllowed = true;
            concrete.AdditionalProperties = null;
        }
    }
}
