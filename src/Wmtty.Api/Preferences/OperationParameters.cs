using System.Globalization;
using Wmtty.Api.Errors;

namespace Wmtty.Api.Preferences;

/// <summary>Reads an operation's Parameters resource as the name=value pairs of its GET form.</summary>
internal static class OperationParameters
{
    public static IEnumerable<KeyValuePair<string, string>> AsSearch(Parameters parameters)
    {
        foreach (var parameter in parameters.Parameter)
        {
            if (parameter.Name is not { Length: > 0 } name || parameter.Resource is not null || parameter.Part.Count > 0)
            {
                throw FhirException.BadRequest($"The parameter '{parameter.Name}' must have a simple value, such as valueString, valueReference or valueInteger.");
            }

            if (parameter.Value is ResourceReference { Reference: null, Identifier: { Value: { } byValue } byIdentifier } && !name.Contains(':'))
            {
                yield return new(name + ":identifier", $"{byIdentifier.System}|{byValue}"); // a logical reference names the patient by identifier
                continue;
            }

            yield return new(name, parameter.Value switch
            {
                ResourceReference { Reference: { } reference } => reference,
                Coding coding => $"{coding.System}|{coding.Code}",
                Hl7.Fhir.Model.Identifier { Value: { } value } identifier => $"{identifier.System}|{value}",
                PrimitiveType { JsonValue: { } value } => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
                _ => throw FhirException.BadRequest($"The parameter '{name}' has a value this operation cannot use ({parameter.Value?.TypeName ?? "none"})."),
            });
        }
    }
}
