using System.Text.RegularExpressions;

namespace Wmtty.Fhir.Resources;

/// <summary>The resource types the service stores, and the rules for their logical ids.</summary>
public static partial class ResourceTypes
{
    public const string Patient = "Patient";
    public const string Questionnaire = "Questionnaire";
    public const string QuestionnaireResponse = "QuestionnaireResponse";
    public const string Observation = "Observation";
    public const string CodeSystem = "CodeSystem";
    public const string ValueSet = "ValueSet";
    public const string OperationDefinition = "OperationDefinition";
    public const string Consent = "Consent";
    public const string Measure = "Measure";

    public static IReadOnlyList<string> Supported { get; } = [Patient, Questionnaire, QuestionnaireResponse, Observation, Consent, CodeSystem, ValueSet, OperationDefinition, Measure];

    public static bool IsSupported(string type) => Supported.Contains(type, StringComparer.Ordinal);

    /// <summary>
    /// FHIR R4 id: 1 to 64 of A-Z, a-z, 0-9, '-' and '.'; and here at least one letter or digit, as
    /// "." and ".." cannot be addressed in a URL.
    /// </summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id) && id.Any(char.IsAsciiLetterOrDigit);

    /// <summary>
    /// An id for a resource the service creates: a UUID version 7, which starts with the time in milliseconds. Ids made
    /// later sort later, so the unique indexes on (type, id) take a new one at their end, on a page already in memory,
    /// not on a random page that must be read and written again (bench/README.md: with random UUIDs, a submission's
    /// commit wrote about 94 pages; with these, about 56). The id says when it was made, as meta.lastUpdated already does.
    /// </summary>
    public static string NewId() => Guid.CreateVersion7().ToString("D");

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
