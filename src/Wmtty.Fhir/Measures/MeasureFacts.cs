using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Extraction;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;

namespace Wmtty.Fhir.Measures;

/// <summary>One answer to a needs question, as the outcome figures count it.</summary>
/// <param name="Need">The question's code in the service's CodeSystem, e.g. <c>diet</c>.</param>
/// <param name="Value">The answer's code, e.g. <c>halal</c>.</param>
/// <param name="IsNeed">False for answers that say there is no need: "None", "No preference", "Prefer not to say".</param>
public sealed record NeedFact(string Need, string Value, bool IsNeed);

/// <summary>
/// What the outcome figures need to know of one preference set, and nothing else: no names, no NHS number, no free text,
/// no full postcode. Taken when the set is written, so the figures are counted in SQL without reading any resource.
/// </summary>
/// <param name="Language">The language the questionnaire was answered in (QuestionnaireResponse.language); null when not recorded.</param>
/// <param name="CompletedBy"><c>patient</c> (alone), <c>connector</c>, <c>family</c> or <c>clinician</c>; null when the response names no author.</param>
/// <param name="Practice">The registered GP practice's ODS code, from Patient.generalPractitioner; null when not given.</param>
/// <param name="District">The postcode district (outward code, e.g. <c>LU1</c>) of the patient's address; the rest of the postcode is never kept.</param>
public sealed partial record MeasureFacts(string? Language, string? CompletedBy, string? Practice, string? District, IReadOnlyList<NeedFact> Needs)
{
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

    private static readonly HashSet<string> NoNeed = new(StringComparer.Ordinal) { "none", "no-preference", PreferenceCodes.PreferNotToSay };

    /// <summary>Whether an answer to a needs question is a need: not "None", "No preference" or "Prefer not to say".</summary>
    public static bool IsNeedAnswer(string value) => !NoNeed.Contains(value);

    /// <summary>The facts of a complete response's extracted Observations; the area comes from the Patient (<see cref="InArea"/>).</summary>
    public static MeasureFacts Of(QuestionnaireResponse response, IReadOnlyList<ExtractedObservation> extracted, string serviceSystem)
    {
        var needCodes = OutcomeFigures.All.Select(f => f.Need).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var needs = new List<NeedFact>();
        foreach (var observation in extracted)
        {
            if (observation.Code.System == serviceSystem && observation.Code.Code is { } code && needCodes.Contains(code)
                && observation.Observation.Value is CodeableConcept { Coding: [{ Code: { Length: > 0 } value }, ..] })
            {
                var fact = new NeedFact(code, Shorten(value), IsNeedAnswer(value));
                if (!needs.Contains(fact))
                {
                    needs.Add(fact);
                }
            }
        }

        var completedBy = ResponseAuthors.Of(response.Author) switch
        {
            AnsweredBy.Patient => "patient",
            AnsweredBy.Connector => "connector",
            AnsweredBy.Family => "family",
            AnsweredBy.Clinician => "clinician",
            _ => null,
        };
        var language = response.Language is { } tag && LanguageTag().IsMatch(tag) ? tag.ToLowerInvariant() : null;
        return new MeasureFacts(language, completedBy, null, null, needs);
    }

    /// <summary>These facts with the patient's area: the registered practice's ODS code and the postcode district of their address.</summary>
    public MeasureFacts InArea(Patient? patient) => this with
    {
        Practice = patient?.GeneralPractitioner.Select(g => g.Identifier).FirstOrDefault(i => i?.System == OdsSystem && i.Value is { } v && OdsCode().IsMatch(v))?.Value!.ToUpperInvariant(),
        District = patient?.Address.Where(a => a.Use is null or Address.AddressUse.Home && a.Period?.End is null)
            .Select(a => PostcodeDistrict(a.PostalCode)).FirstOrDefault(d => d is not null),
    };

    /// <summary>
    /// The district (outward code) of a UK postcode: <c>LU1 3LU</c>, <c>lu13lu</c> and <c>LU1</c> all give <c>LU1</c>. Null
    /// for anything that is not a postcode or a district.
    /// </summary>
    public static string? PostcodeDistrict(string? postcode)
    {
        if (string.IsNullOrWhiteSpace(postcode) || postcode.Length > 16)
        {
            return null;
        }

        var compact = string.Concat(postcode.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();
        return FullPostcode().Match(compact) is { Success: true } full ? full.Groups[1].Value
            : DistrictOnly().IsMatch(compact) ? compact
            : null;
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64];

    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();

    [GeneratedRegex("^[A-Za-z0-9]{3,10}$", RegexOptions.CultureInvariant)]
    private static partial Regex OdsCode();

    // Outward code (area letters, district digit, optional digit or letter), then inward code (digit, two letters).
    [GeneratedRegex("^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex FullPostcode();

    [GeneratedRegex("^[A-Z]{1,2}[0-9][A-Z0-9]?$", RegexOptions.CultureInvariant)]
    private static partial Regex DistrictOnly();
}
