using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Responses;

/// <summary>Who gave a response's answers, as a clinician needs to know it.</summary>
public enum AnsweredBy
{
    /// <summary>The response names no author.</summary>
    Unknown,

    /// <summary>The patient, on their own.</summary>
    Patient,

    /// <summary>The patient, helped by a community connector.</summary>
    Connector,

    /// <summary>The patient, helped by a family member, carer or friend.</summary>
    Family,

    /// <summary>A clinician or other member of staff, for example through an EHR.</summary>
    Clinician,
}

/// <summary>
/// The <c>QuestionnaireResponse.author</c> the portal records for who helped the patient answer, and
/// how any author (the portal's or an EHR's) reads back. Extraction copies the author into each
/// Observation's performer, so the same reading serves both. A community connector is a
/// PractitionerRole whose display is <see cref="ConnectorDisplay"/>; FHIR has no code for the role.
/// </summary>
public static class ResponseAuthors
{
    public const string ConnectorDisplay = "Community connector";
    public const string FamilyDisplay = "Family member, carer or friend";
    public const string StaffDisplay = "NHS staff";

    /// <summary>The author the portal records: the patient themselves, or a reference to the kind of person who helped.</summary>
    public static ResourceReference For(AnsweredBy by, string patientReference) => by switch
    {
        AnsweredBy.Connector => new ResourceReference { Type = "PractitionerRole", Display = ConnectorDisplay },
        AnsweredBy.Family => new ResourceReference { Type = "RelatedPerson", Display = FamilyDisplay },
        AnsweredBy.Clinician => new ResourceReference { Type = "Practitioner", Display = StaffDisplay },
        _ => new ResourceReference(patientReference),
    };

    /// <summary>Who an author (or an Observation's performer) is.</summary>
    public static AnsweredBy Of(ResourceReference? author)
    {
        if (author is null)
        {
            return AnsweredBy.Unknown;
        }

        var type = author.Type ?? TypeOf(author.Reference);
        return type switch
        {
            "Patient" => AnsweredBy.Patient,
            "RelatedPerson" => AnsweredBy.Family,
            "PractitionerRole" or "Practitioner" when author.Display == ConnectorDisplay => AnsweredBy.Connector,
            "PractitionerRole" or "Practitioner" or "Organization" or "CareTeam" or "Device" => AnsweredBy.Clinician,
            _ => AnsweredBy.Unknown,
        };
    }

    /// <summary>In English, for the clinician's page: "the patient", "a community connector, with the patient", and so on.</summary>
    public static string Describe(AnsweredBy by) => by switch
    {
        AnsweredBy.Patient => "the patient",
        AnsweredBy.Connector => "a community connector, with the patient",
        AnsweredBy.Family => "family, a carer or a friend, with the patient",
        AnsweredBy.Clinician => "a clinician",
        _ => "not recorded",
    };

    // "Patient/123", "https://host/fhir/Patient/123" or "Patient/123/_history/2": the type is the segment before the id.
    private static string? TypeOf(string? reference)
    {
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = reference.Split('/');
        var history = Array.IndexOf(parts, "_history");
        var idIndex = (history > 0 ? history : parts.Length) - 1;
        return idIndex >= 1 ? parts[idIndex - 1] : null;
    }
}
