namespace Wmtty.Fhir.Questionnaires;

/// <summary>
/// Code systems the questionnaire answers in. Standard codes are used wherever one exists (see
/// docs/terminology-research.md for where each was verified); the rest are the service's own, in
/// <see cref="ServiceConcepts"/>, under a canonical base taken from configuration.
/// </summary>
public static class PreferenceCodes
{
    public const string Loinc = "http://loinc.org";
    public const string Snomed = "http://snomed.info/sct";
    public const string Bcp47 = "urn:ietf:bcp:47";
    public const string Diet = "http://terminology.hl7.org/CodeSystem/diet";
    public const string ContactMethod = "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod";
    public const string WrittenFormat = "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredWrittenCommunicationFormat";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";

    /// <summary>The path of the service's own CodeSystem under the canonical base.</summary>
    public const string ServiceCodeSystemPath = "CodeSystem/wmtty-preferences";

    // LOINC
    public const string PreferredLanguage = "54899-0";
    public const string InterpreterNeeded = "54588-9";
    public const string ReligiousBeliefs = "81364-2";
    public const string CareExperiencePreference = "95541-9";

    // Service codes that the service itself reasons about.
    public const string PreferNotToSay = "prefer-not-to-say";
    public const string OtherLanguage = "other-language";
    public const string PreferredLanguageOther = "preferred-language-other";
    public const string InterpreterLanguageOther = "interpreter-language-other";
    public const string InterpreterLanguage = "interpreter-language";
    public const string SummaryDocument = "wmtty-summary";
    public const string TranslationsNeedReview = "translations-need-review";

    /// <summary>The five sections of the questionnaire, in order: they are the Observation categories.</summary>
    public static IReadOnlyList<(string Code, string Display)> Sections { get; } =
    [
        ("language-communication", "Language and communication"),
        ("beliefs-culture", "Beliefs and culture"),
        ("care-preferences", "Care preferences"),
        ("access-adjustments", "Access and reasonable adjustments"),
        ("what-matters", "What matters most to me"),
    ];

    /// <summary>
    /// The service's own concepts: code, display and definition. Only for meanings with no code in a
    /// standard system; never a code invented in someone else's system.
    /// </summary>
    public static IReadOnlyList<(string Code, string Display, string Definition)> ServiceConcepts { get; } =
    [
        .. Sections.Select(s => (s.Code, s.Display, $"The '{s.Display}' section of the What Matters To You questionnaire, used as an Observation category.")),

        // Questions with no standard code.
        ("contact-method", "Preferred contact method", "How the person prefers to be contacted."),
        ("written-format", "Preferred written format", "The format the person needs written information in."),
        ("communication-support", "Communication support needed", "Support the person needs in order to communicate."),
        ("interpreter-language", "Language an interpreter should speak", "The language, spoken or signed, in which the person needs an interpreter."),
        (PreferredLanguageOther, "Preferred language, in the person's words", "The person's preferred language, written in because it is not in the list."),
        (InterpreterLanguageOther, "Interpreter language, in the person's words", "The language an interpreter should speak, written in because it is not in the list."),
        ("faith-care-needs", "Faith or cultural needs in care", "Needs arising from the person's faith or culture that affect their care."),
        ("faith-care-details", "Faith or cultural needs, in the person's words", "More about the person's faith or cultural needs, as they wrote it."),
        ("diet", "Dietary requirements", "A diet the person follows."),
        ("clinician-gender", "Preferred gender of clinician for examinations", "The gender of clinician the person prefers for examinations."),
        ("chaperone", "Wants a chaperone at intimate examinations", "Whether the person would like a chaperone present at intimate examinations."),
        ("who-to-involve", "Who to have at appointments", "Who the person would like with them at appointments."),
        ("who-may-be-told", "Who may be told about my care", "Who the person agrees may be told about their care."),
        ("reasonable-adjustments", "Reasonable adjustments needed", "Categories of reasonable adjustment the person needs, as the NHS Reasonable Adjustment Flag groups them."),
        ("adjustment-details", "Reasonable adjustments, in the person's words", "What would help the person use services, as they wrote it."),
        ("appointment-times", "Appointment times that suit", "The times of day when the person can attend appointments."),
        ("what-worries-me", "What worries me", "What is worrying the person, in their own words."),
        ("what-helps-me", "What helps me feel comfortable", "What helps the person feel comfortable, in their own words."),

        // Answers with no standard code.
        (PreferNotToSay, "Prefer not to say", "The person chose not to answer."),
        ("no-preference", "No preference", "The person has no preference."),
        ("none", "None", "The person has no needs of this kind."),
        (OtherLanguage, "Another language", "A language not in the list; the person writes it in."),
        ("christian", "Christian", "Religion or belief: Christian, of any denomination."),
        ("muslim", "Muslim", "Religion or belief: Muslim."),
        ("hindu", "Hindu", "Religion or belief: Hindu."),
        ("sikh", "Sikh", "Religion or belief: Sikh."),
        ("jewish", "Jewish", "Religion or belief: Jewish."),
        ("buddhist", "Buddhist", "Religion or belief: Buddhist."),
        ("no-religion", "No religion or belief", "The person has no religion or belief."),
        ("other-religion", "Another religion or belief", "A religion or belief not in the list."),
        ("modesty", "Modesty, such as covering up or same-gender staff", "Care that respects the person's modesty."),
        ("prayer", "Time and a place to pray", "Time and a place for prayer during care."),
        ("fasting", "Fasting, such as during Ramadan", "Care that takes account of fasting."),
        ("blood-products", "Views on blood or blood products", "The person has views on receiving blood or blood products."),
        ("end-of-life-rites", "Rites or practices at the end of life", "Religious or cultural rites or practices at the end of life."),
        ("lip-reading", "Lip-reading", "The person lip-reads and needs to see the speaker's face."),
        ("hearing-loop", "Hearing loop", "The person uses a hearing loop."),
        ("carer-helps-communicate", "A carer or family member to help me communicate", "The person needs a carer or family member to help them communicate."),
        ("family-present", "A family member", "The person would like a family member with them."),
        ("friend-present", "A friend", "The person would like a friend with them."),
        ("on-my-own", "No one, I prefer to come on my own", "The person prefers to attend on their own."),
        ("tell-family", "My family", "The person agrees that their family may be told about their care."),
        ("tell-carer", "My carer", "The person agrees that their carer may be told about their care."),
        ("tell-no-one", "No one, unless I agree each time", "The person does not agree that anyone may be told about their care without asking them first."),
        ("ra-communication-support", "Support to communicate", "Reasonable adjustment category: communication support."),
        ("ra-contact-method", "A particular way of contacting me", "Reasonable adjustment category: a specific contact method."),
        ("ra-information-format", "Information in a format I can use", "Reasonable adjustment category: information format."),
        ("ra-care-environment", "Changes to the place of care, such as a quiet room or step-free access", "Reasonable adjustment category: the environment of care."),
        ("ra-additional-needs", "Other needs, such as a longer appointment", "Reasonable adjustment category: additional needs."),
        ("mornings", "Mornings", "Appointments in the morning suit the person."),
        ("afternoons", "Afternoons", "Appointments in the afternoon suit the person."),
        ("evenings", "Evenings", "Appointments in the evening suit the person."),

        // Documents and flags.
        (SummaryDocument, "What matters to me: summary", "A summary document of a person's current What Matters To You preferences."),
        (TranslationsNeedReview, "Translations need review by native speakers", "The resource's translations are drafts that native speakers have not yet reviewed."),
    ];

    /// <summary>The URL of the service's CodeSystem under <paramref name="canonicalBase"/>.</summary>
    public static string ServiceSystem(string canonicalBase) => $"{canonicalBase.TrimEnd('/')}/{ServiceCodeSystemPath}";

    /// <summary>The English display of a service concept.</summary>
    public static string ServiceDisplay(string code) =>
        ServiceConcepts.FirstOrDefault(c => c.Code == code).Display ?? throw new ArgumentException($"'{code}' is not a service concept.", nameof(code));

    /// <summary>UK SNOMED "X language interpreter needed" concepts, and the BCP-47 language each names.</summary>
    public static IReadOnlyList<(string Snomed, string Display, string Language)> Interpreters { get; } =
    [
        ("203901000000102", "Polish language interpreter needed", "pl"),
        ("353881000000101", "Romanian language interpreter needed", "ro"),
        ("204211000000109", "Urdu language interpreter needed", "ur"),
        ("203321000000107", "Bengali language interpreter needed", "bn"),
        ("203961000000103", "Panjabi language interpreter needed", "pa"),
        ("203601000000106", "Gujarati language interpreter needed", "gu"),
        ("204021000000108", "Somali language interpreter needed", "so"),
        ("203311000000101", "Arabic language interpreter needed", "ar"),
        ("204331000000107", "British Sign Language interpreter needed", "bfi"),
    ];

    /// <summary>Languages offered as the preferred language, as BCP-47 tags with English names.</summary>
    public static IReadOnlyList<(string Tag, string Display)> Languages { get; } =
    [
        ("en", "English"),
        ("pl", "Polish"),
        ("ro", "Romanian"),
        ("ur", "Urdu"),
        ("bn", "Bengali"),
        ("pa", "Panjabi"),
        ("gu", "Gujarati"),
        ("so", "Somali"),
        ("ar", "Arabic"),
        ("bfi", "British Sign Language"),
    ];
}
