using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Search;

namespace Wmtty.Fhir.Consents;

/// <summary>
/// Who a patient's Consent can share a section with. An application (such as an EHR) is in
/// <see cref="EhrSystems"/>; a member of staff is in the audience of their role.
/// </summary>
public static class Audiences
{
    public const string EhrSystems = "ehr-systems";
    public const string CareTeam = "care-team";
    public const string Chaplaincy = "chaplaincy";
    public const string Connectors = "community-connectors";
    public const string Administration = "administration";

    public static IReadOnlyList<string> All { get; } = [EhrSystems, CareTeam, Chaplaincy, Connectors, Administration];

    /// <summary>The identifier system of an audience named as a Consent actor: {canonical base}/sid/audience.</summary>
    public static string System(string canonicalBase) => canonicalBase.TrimEnd('/') + "/sid/audience";
}

/// <summary>
/// A patient's privacy Consent (<c>scope</c> patient-privacy): which sections of their preferences
/// each audience may see. The base provision says permit or deny; nested provisions make exceptions
/// for named audiences (<c>actor.reference.identifier</c>) and sections (<c>code</c>, the section
/// codes); with no actor a provision is for every audience, with no code for every section. Where a
/// permit and a deny both apply, the deny wins. Only the parts Wmtty enforces are accepted: anything
/// else is refused, rather than stored and silently ignored.
/// </summary>
public static class PrivacyConsent
{
    public const string ScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ScopeCode = "patient-privacy";

    public static bool IsPrivacy(Consent consent) =>
        consent.Scope?.Coding.Any(c => c.System == ScopeSystem && c.Code == ScopeCode) == true;

    /// <summary>Problems with a privacy Consent, each with its FHIRPath; empty when Wmtty can enforce it as written.</summary>
    public static List<OperationOutcome.IssueComponent> Check(Consent consent, string canonicalBase, Uri localBase)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        if (!IsPrivacy(consent))
        {
            return issues;
        }

        if (LocalReference.Parse(consent.Patient?.Reference, localBase) is not { Type: "Patient" })
        {
            issues.Add(Issue("A privacy Consent must name its patient by reference, such as Patient/123.", "Consent.patient"));
        }

        if (consent.Provision is not { } provision)
        {
            issues.Add(Issue("A privacy Consent needs a provision saying what is shared (permit) or withheld (deny).", "Consent.provision"));
            return issues;
        }

        if (provision.Type is null)
        {
            issues.Add(Issue("The base provision needs a type: permit (share unless an exception withholds) or deny.", "Consent.provision.type"));
        }

        Unsupported(provision, "Consent.provision", issues, allowActorAndCode: false);
        for (var i = 0; i < provision.Provision.Count; i++)
        {
            var nested = provision.Provision[i];
            var path = $"Consent.provision.provision[{i}]";
            if (nested.Type is null)
            {
                issues.Add(Issue("Each nested provision needs a type: permit or deny.", path + ".type"));
            }

            Unsupported(nested, path, issues, allowActorAndCode: true);
            if (nested.Provision.Count > 0)
            {
                issues.Add(Issue("Provisions nested more than one level deep are not supported.", path + ".provision"));
            }

            for (var a = 0; a < nested.Actor.Count; a++)
            {
                if (AudienceOf(nested.Actor[a], canonicalBase) is null)
                {
                    issues.Add(Issue(
                        $"An actor must name an audience by identifier, with system {Audiences.System(canonicalBase)} and one of: {string.Join(", ", Audiences.All)}.",
                        $"{path}.actor[{a}].reference"));
                }
            }

            for (var c = 0; c < nested.Code.Count; c++)
            {
                var sections = SectionsOf(nested.Code[c], canonicalBase).Count;
                if (sections == 0 || sections != nested.Code[c].Coding.Count) // every coding a section
                {
                    issues.Add(Issue(
                        $"A code must be a section of the questionnaire, from {PreferenceCodes.ServiceSystem(canonicalBase)}: {string.Join(", ", PreferenceCodes.Sections.Select(s => s.Code))}.",
                        $"{path}.code[{c}]"));
                }
            }
        }

        return issues;
    }

    /// <summary>For an active privacy Consent that passed <see cref="Check"/>: each (audience, section) it withholds.</summary>
    public static IEnumerable<(string Audience, string Section)> Withheld(Consent consent, string canonicalBase)
    {
        if (consent.Status != Consent.ConsentState.Active || !IsPrivacy(consent) || consent.Provision is not { } provision)
        {
            yield break;
        }

        foreach (var audience in Audiences.All)
        {
            foreach (var (section, _) in PreferenceCodes.Sections)
            {
                var matching = provision.Provision.Where(p =>
                    (p.Actor.Count == 0 || p.Actor.Any(a => AudienceOf(a, canonicalBase) == audience))
                    && (p.Code.Count == 0 || p.Code.Any(c => SectionsOf(c, canonicalBase).Contains(section)))).ToList();
                var denied = matching.Any(p => p.Type == Consent.ConsentProvisionType.Deny)
                    || (provision.Type != Consent.ConsentProvisionType.Permit && !matching.Any(p => p.Type == Consent.ConsentProvisionType.Permit));
                if (denied)
                {
                    yield return (audience, section);
                }
            }
        }
    }

    private static string? AudienceOf(Consent.provisionActorComponent actor, string canonicalBase) =>
        actor.Reference?.Identifier is { } identifier && identifier.System == Audiences.System(canonicalBase) && Audiences.All.Contains(identifier.Value)
            ? identifier.Value
            : null;

    private static List<string> SectionsOf(CodeableConcept concept, string canonicalBase) =>
        [.. concept.Coding.Where(c => c.System == PreferenceCodes.ServiceSystem(canonicalBase) && PreferenceCodes.Sections.Any(s => s.Code == c.Code)).Select(c => c.Code!)];

    private static void Unsupported(Consent.provisionComponent provision, string path, List<OperationOutcome.IssueComponent> issues, bool allowActorAndCode)
    {
        var unsupported = new List<string>();
        if (provision.Period is not null) unsupported.Add("period");
        if (provision.Action.Count > 0) unsupported.Add("action");
        if (provision.SecurityLabel.Count > 0) unsupported.Add("securityLabel");
        if (provision.Purpose.Count > 0) unsupported.Add("purpose");
        if (provision.Class.Count > 0) unsupported.Add("class");
        if (provision.DataPeriod is not null) unsupported.Add("dataPeriod");
        if (provision.Data.Count > 0) unsupported.Add("data");
        if (!allowActorAndCode && provision.Actor.Count > 0) unsupported.Add("actor");
        if (!allowActorAndCode && provision.Code.Count > 0) unsupported.Add("code");
        foreach (var name in unsupported)
        {
            issues.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.NotSupported,
                Diagnostics = $"'{name}' is not enforced here, so it is refused rather than ignored. " +
                    (allowActorAndCode ? "A nested provision may have type, actor and code." : "Put audiences and sections in nested provisions."),
                Expression = [$"{path}.{name}"],
            });
        }
    }

    private static OperationOutcome.IssueComponent Issue(string diagnostics, string expression) => new()
    {
        Severity = OperationOutcome.IssueSeverity.Error,
        Code = OperationOutcome.IssueType.BusinessRule,
        Diagnostics = diagnostics,
        Expression = [expression],
    };
}
