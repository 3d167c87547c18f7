namespace Wmtty.Api.Definitions;

/// <summary>Options for the service's own definitions: section <c>Definitions</c>.</summary>
internal sealed class DefinitionOptions
{
    public const string Section = "Definitions";

    /// <summary>
    /// The base of the canonical URLs of the questionnaire, CodeSystem and ValueSets, e.g.
    /// https://wmtty.example.nhs.uk/fhir. Canonical URLs are names, not addresses: keep it stable.
    /// </summary>
    public string CanonicalBase { get; set; } = "";

    public bool IsValid() =>
        Uri.TryCreate(CanonicalBase, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && !CanonicalBase.Contains('|');
}
