using System.Text.RegularExpressions;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Access;

/// <summary>The SMART App Launch v2 interactions a scope grants: c, r, u, d, s.</summary>
[Flags]
internal enum Interactions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>
/// A SMART App Launch v2 resource scope such as <c>system/*.rs</c> or <c>user/QuestionnaireResponse.cruds</c>.
/// The wildcard covers the clinical and definitional types, not the audit trail: reading audit needs
/// <c>AuditEvent</c> by name.
/// </summary>
internal sealed partial record SmartScope(string Context, string ResourceType, Interactions Interactions)
{
    public const string AuditEvent = "AuditEvent";
    public const string Consent = "Consent";

    public static SmartScope Parse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            throw new ArgumentException($"'{text}' is not a SMART v2 resource scope.", nameof(text));
        }

        var interactions = Interactions.None;
        foreach (var letter in match.Groups["ops"].Value)
        {
            interactions |= letter switch
            {
                'c' => Interactions.Create,
                'r' => Interactions.Read,
                'u' => Interactions.Update,
                'd' => Interactions.Delete,
                _ => Interactions.Search,
            };
        }

        return new SmartScope(match.Groups["context"].Value, match.Groups["type"].Value, interactions);
    }

    public bool Grants(string resourceType, Interactions needed) =>
        (ResourceType == resourceType || (ResourceType == "*" && Wildcarded(resourceType, needed))) && (Interactions & needed) == needed;

    private static bool Wildcarded(string resourceType, Interactions needed) => resourceType switch
    {
        AuditEvent => false,
        Consent => (needed & (Interactions.Create | Interactions.Update | Interactions.Delete)) == 0,
        _ => true,
    };

    /// <summary>This scope cut down to <paramref name="allowed"/>; null when nothing is left.</summary>
    public SmartScope? Limit(Interactions allowed) =>
        (Interactions & allowed) is var left and not Interactions.None ? this with { Interactions = left } : null;

    public override string ToString()
    {
        var letters = string.Concat(
            Interactions.HasFlag(Interactions.Create) ? "c" : "",
            Interactions.HasFlag(Interactions.Read) ? "r" : "",
            Interactions.HasFlag(Interactions.Update) ? "u" : "",
            Interactions.HasFlag(Interactions.Delete) ? "d" : "",
            Interactions.HasFlag(Interactions.Search) ? "s" : "");
        return $"{Context}/{ResourceType}.{letters}";
    }

    /// <summary>Types that hold no patient's data: anyone signed in with a grant on them may read them.</summary>
    public static bool IsDefinition(string resourceType) =>
        resourceType is ResourceTypes.Questionnaire or ResourceTypes.CodeSystem or ResourceTypes.ValueSet or ResourceTypes.OperationDefinition or ResourceTypes.Measure;

    [GeneratedRegex("^(?<context>patient|user|system)/(?<type>\\*|[A-Z][A-Za-z]+)\\.(?<ops>c?r?u?d?s?)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
