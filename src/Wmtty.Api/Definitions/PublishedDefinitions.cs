using Microsoft.Extensions.Options;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Resources;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Definitions;

/// <summary>
/// The questionnaire, CodeSystem and ValueSets under the service's canonical base are published by the
/// service and change only with a new release: a client that creates, changes or deletes one would
/// change what every stored response means, or make its canonical ambiguous.
/// </summary>
internal sealed class PublishedDefinitions(IOptions<DefinitionOptions> options)
{
    public static bool CouldBe(string type) => type is ResourceTypes.Questionnaire or ResourceTypes.CodeSystem or ResourceTypes.ValueSet or ResourceTypes.OperationDefinition or ResourceTypes.Measure;

    public void RefuseChange(Resource resource)
    {
        var url = resource switch
        {
            Questionnaire q => q.Url,
            CodeSystem c => c.Url,
            ValueSet v => v.Url,
            OperationDefinition o => o.Url,
            Measure m => m.Url,
            _ => null,
        };
        var prefix = options.Value.CanonicalBase.TrimEnd('/') + "/";
        if (url is not null && (url.StartsWith(prefix, StringComparison.Ordinal)
            || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && new Uri(prefix).IsBaseOf(uri)))) // HTTPS://WMTTY.example.org:443/… too
        {
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.BusinessRule,
                $"{resource.TypeName} {url} is published by this service and changes only with a new release of it. Use a canonical URL outside {prefix} for your own definitions.",
                $"{resource.TypeName}.url"));
        }
    }
}
