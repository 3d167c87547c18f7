using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Preferences;

/// <summary>Finds the Patient a reference names, by local reference or by identifier (such as the NHS number).</summary>
internal static class PatientResolver
{
    /// <summary>The patient's id; 422 (with <paramref name="expression"/>) when the reference names no patient known here.</summary>
    public static async Task<string> ResolveAsync(ResourceReference? subject, Uri localBase, StoreReader reader, string expression)
    {
        if (subject is null || (subject.Reference is null && subject.Identifier is null))
        {
            throw Unprocessable("No patient is named. Give a reference to the Patient, or the patient's NHS number as identifier.", expression);
        }

        if (subject.Type is { } type && type != ResourceTypes.Patient)
        {
            throw Unprocessable($"The reference has type '{FhirText.Shorten(type, 64)}'; it must name a Patient.", expression + ".type");
        }

        string? byReference = null;
        if (subject.Reference is not null)
        {
            if (LocalReference.Parse(subject.Reference, localBase) is not { Type: ResourceTypes.Patient } local)
            {
                throw Unprocessable($"'{FhirText.Shorten(subject.Reference, 200)}' is not a Patient on this server.", expression + ".reference");
            }

            if (!await reader.Exists(ResourceTypes.Patient, local.Id))
            {
                throw Unprocessable($"Patient/{local.Id} is not known here. Register the patient first.", expression + ".reference");
            }

            byReference = local.Id;
        }

        if (subject.Identifier is null)
        {
            return byReference!;
        }

        if (subject.Identifier is not { Value.Length: > 0, System.Length: > 0 } identifier)
        {
            throw Unprocessable("The identifier needs a system and a value, such as https://fhir.nhs.uk/Id/nhs-number and the NHS number.", expression + ".identifier");
        }

        var matches = await reader.Find(new SearchQuery(ResourceTypes.Patient).Where(new TokenCondition("identifier", identifier.System, identifier.Value)), 2);
        var who = $"{identifier.System}|{FhirText.Shorten(identifier.Value, 64)}";
        return matches.Count switch
        {
            0 => throw Unprocessable($"No patient here has the identifier {who}. Register the patient first.", expression + ".identifier"),
            > 1 => throw Unprocessable($"More than one patient has the identifier {who}; refer to the patient by reference instead.", expression + ".identifier"),
            _ when byReference is not null && byReference != matches[0].Id =>
                throw Unprocessable($"The reference names Patient/{byReference}, but the identifier {who} belongs to another patient.", expression),
            _ => matches[0].Id,
        };
    }

    private static FhirException Unprocessable(string diagnostics, string expression) =>
        FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotFound, diagnostics, expression));
}
