using Hl7.Fhir.Model;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;
using static Wmtty.Fhir.Questionnaires.PreferenceCodes;

namespace Wmtty.Fhir.Questionnaires;

/// <summary>
/// The canonical What Matters To You questionnaire: five sections, coded questions and answers,
/// every text translated, every preference marked for SDC observation-based extraction.
/// </summary>
public static class WhatMattersQuestionnaire
{
    /// <summary>Bump this whenever anything in the questionnaire changes, translations included.</summary>
    public const string Version = "1.0.0";

    public const string Name = "WhatMattersToYou";

    public const string ObservationExtractUrl = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract";
    public const string ExtractCategoryUrl = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observation-extract-category";
    public const string OptionExclusiveUrl = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive";

    // Link ids the service reasons about (Patient.communication, the summary).
    public const string PreferredLanguageLinkId = "preferred-language";
    public const string InterpreterNeededLinkId = "interpreter-needed";
    public const string InterpreterLanguageLinkId = "interpreter-language";
    public const string PreferredLanguageOtherLinkId = "preferred-language-other";
    public const string InterpreterLanguageOtherLinkId = "interpreter-language-other";

    /// <summary>The logical id of this version in the store: one resource per version, so old responses keep theirs.</summary>
    public static string Id => "what-matters-to-you-" + Version;

    public static string Url(string canonicalBase) => $"{canonicalBase.TrimEnd('/')}/Questionnaire/what-matters-to-you";

    public static Questionnaire Build(string canonicalBase) => new Builder(canonicalBase, Translations.Default).Build();

    private sealed class Builder(string canonicalBase, Translations translations)
    {
        private readonly string service = ServiceSystem(canonicalBase);

        public Questionnaire Build() => new()
        {
            Id = Id,
            Meta = new Meta { Tag = [new Coding(service, TranslationsNeedReview, ServiceDisplay(TranslationsNeedReview))] },
            Language = Translations.BaseLanguage,
            Url = Url(canonicalBase),
            Version = Version,
            Name = Name,
            TitleElement = translations.Text("What matters to you"),
            Status = PublicationStatus.Active,
            Experimental = false,
            SubjectType = [ResourceType.Patient],
            Date = "2026-11-23",
            Publisher = "Wmtty",
            DescriptionElement = translations.Markdown(
                "How a person wants to be cared for, recorded once so they need not repeat it: language and communication, " +
                "beliefs and culture, care preferences, access needs and, in their own words, what matters most.\n\n" +
                "**Translations need review.** The Polish, Romanian, Urdu, Bengali, Panjabi, Gujarati, Somali and Arabic texts " +
                "are drafts that native speakers have not yet reviewed. English is the base language."), // in every language, so each reader sees it
            Purpose = new Markdown("Luton's response to the Denny review of health inequalities in Bedfordshire, Luton and Milton Keynes."),
            Item =
            [
                Section(0,
                    Question(PreferredLanguageLinkId, ItemType.Choice, new Coding(Loinc, PreferredLanguage, "Preferred language"),
                        "Which language do you prefer to use?", required: true,
                        options: [.. Languages.Select(l => Option(Bcp47, l.Tag, l.Display)), Option(service, OtherLanguage, ServiceDisplay(OtherLanguage))]),
                    WrittenIn(PreferredLanguageOtherLinkId, PreferredLanguageOther, PreferredLanguageLinkId),
                    Question(InterpreterNeededLinkId, ItemType.Boolean, new Coding(Loinc, InterpreterNeeded, "Interpreter needed"),
                        "Do you need an interpreter?", required: true),
                    Question(InterpreterLanguageLinkId, ItemType.Choice, Service(InterpreterLanguage),
                        "Which language should the interpreter speak?", required: true,
                        options: [.. Interpreters.Select(i => Option(Snomed, i.Snomed, i.Display)), Option(service, OtherLanguage, ServiceDisplay(OtherLanguage))],
                        enableWhen: [new() { Question = InterpreterNeededLinkId, Operator = Questionnaire.QuestionnaireItemOperator.Equal, Answer = new FhirBoolean(true) }]),
                    WrittenIn(InterpreterLanguageOtherLinkId, InterpreterLanguageOther, InterpreterLanguageLinkId),
                    Question("contact-method", ItemType.Choice, Service("contact-method"),
                        "How should we contact you? Choose all that suit you.", repeats: true,
                        options:
                        [
                            Option(ContactMethod, "1", "Letter"),
                            Option(ContactMethod, "3", "Telephone"),
                            Option(ContactMethod, "9", "SMS"),
                            Option(ContactMethod, "4", "E-mail"),
                            Option(ContactMethod, "2", "Visit"),
                            Option(ContactMethod, "5", "Minicom (Textphone)"),
                            Option(ContactMethod, "6", "Telephone contact via proxy"),
                            Option(ContactMethod, "7", "Sign language"),
                        ]),
                    Question("written-format", ItemType.Choice, Service("written-format"),
                        "Do you need letters and information in another format?", repeats: true,
                        options:
                        [
                            Option(WrittenFormat, "11", "Large print"),
                            Option(Snomed, "796161000000101", "Requires information in Easyread"),
                            Option(WrittenFormat, "12", "Braille"),
                            Option(WrittenFormat, "13", "Audio tape"),
                            Exclusive(ServiceOption("none")),
                        ]),
                    Question("communication-support", ItemType.Choice, Service("communication-support"),
                        "Do you need support to communicate?", repeats: true,
                        options:
                        [
                            Option(Snomed, "520471000000105", "Preferred method of communication: British Sign Language"),
                            ServiceOption("lip-reading"),
                            ServiceOption("hearing-loop"),
                            ServiceOption("carer-helps-communicate"),
                            Exclusive(ServiceOption("none")),
                        ])),
                Section(1,
                    Question("religion", ItemType.Choice, new Coding(Loinc, ReligiousBeliefs, "Religious or cultural beliefs [Reported]"),
                        "What is your religion or belief?",
                        options:
                        [
                            ServiceOption("christian"), ServiceOption("muslim"), ServiceOption("hindu"), ServiceOption("sikh"),
                            ServiceOption("jewish"), ServiceOption("buddhist"), ServiceOption("other-religion"), ServiceOption("no-religion"),
                            ServiceOption(PreferNotToSay),
                        ]),
                    Question("faith-care-needs", ItemType.Choice, Service("faith-care-needs"),
                        "Do your faith or culture affect your care in any of these ways?", repeats: true,
                        options:
                        [
                            ServiceOption("modesty"), ServiceOption("prayer"), ServiceOption("fasting"), ServiceOption("blood-products"),
                            ServiceOption("end-of-life-rites"), Exclusive(ServiceOption("none")), Exclusive(ServiceOption(PreferNotToSay)),
                        ]),
                    Question("faith-care-details", ItemType.Text, Service("faith-care-details"),
                        "Tell us more about these needs, if you want to", maxLength: 500),
                    Question("diet", ItemType.Choice, Service("diet"),
                        "Do you follow a special diet?", repeats: true,
                        options:
                        [
                            Option(Diet, "halal", "Halal"), Option(Diet, "kosher", "Kosher"), Option(Diet, "vegetarian", "Vegetarian"),
                            Option(Diet, "vegan", "Vegan"), Option(Diet, "dairy-free", "Dairy Free"), Option(Diet, "nut-free", "Nut Free"),
                            Option(Diet, "gluten-free", "Gluten Free"), Exclusive(ServiceOption("none")),
                        ])),
                Section(2,
                    Question("clinician-gender", ItemType.Choice, Service("clinician-gender"),
                        "For examinations, would you prefer a woman or a man?",
                        options:
                        [
                            Option(Snomed, "314434008", "Preference for female healthcare professional"),
                            Option(Snomed, "314435009", "Preference for male healthcare professional"),
                            ServiceOption("no-preference"),
                            ServiceOption(PreferNotToSay),
                        ]),
                    Question("chaperone", ItemType.Boolean, Service("chaperone"),
                        "Would you like a chaperone (another member of staff) with you at intimate examinations?"),
                    Question("who-to-involve", ItemType.Choice, Service("who-to-involve"),
                        "Who would you like with you at appointments?", repeats: true,
                        options:
                        [
                            Option(Snomed, "1108151000000106", "Requires carer to be present at encounters"),
                            ServiceOption("family-present"),
                            ServiceOption("friend-present"),
                            Exclusive(ServiceOption("on-my-own")),
                            Exclusive(ServiceOption(PreferNotToSay)),
                        ]),
                    Question("who-may-be-told", ItemType.Choice, Service("who-may-be-told"),
                        "Who may we tell about your care?", repeats: true,
                        options: [ServiceOption("tell-family"), ServiceOption("tell-carer"), Exclusive(ServiceOption("tell-no-one"))])),
                Section(3,
                    Question("reasonable-adjustments", ItemType.Choice, Service("reasonable-adjustments"),
                        "Do you need any changes to help you use our services?", repeats: true,
                        options:
                        [
                            ServiceOption("ra-communication-support"), ServiceOption("ra-contact-method"), ServiceOption("ra-information-format"),
                            ServiceOption("ra-care-environment"), ServiceOption("ra-additional-needs"), Exclusive(ServiceOption("none")),
                        ]),
                    Question("adjustment-details", ItemType.Text, Service("adjustment-details"),
                        "Tell us what would help you, if you want to", maxLength: 500),
                    Question("appointment-times", ItemType.Choice, Service("appointment-times"),
                        "When can you come to appointments?", repeats: true,
                        options: [ServiceOption("mornings"), ServiceOption("afternoons"), ServiceOption("evenings"), Exclusive(ServiceOption("no-preference"))])),
                Section(4,
                    Instructions("what-matters-instructions", "Write in your own words, in any language. We keep what you write exactly as you wrote it."),
                    Question("what-matters-most", ItemType.Text, new Coding(Loinc, CareExperiencePreference, "Care experience preference"),
                        "What matters most to you?", maxLength: 2000),
                    Question("what-worries-me", ItemType.Text, Service("what-worries-me"),
                        "Is anything worrying you?", maxLength: 2000),
                    Question("what-helps-me", ItemType.Text, Service("what-helps-me"),
                        "What helps you feel comfortable?", maxLength: 2000)),
            ],
        };

        // A section is a group; its category (the section, and social-history) applies to every Observation extracted from it.
        // A section holding required questions is itself required, or leaving it out would skip them.
        private Questionnaire.ItemComponent Section(int index, params Questionnaire.ItemComponent[] items)
        {
            var (code, display) = Sections[index];
            var group = new Questionnaire.ItemComponent
            {
                LinkId = code,
                Type = ItemType.Group,
                TextElement = translations.Text(display),
                Required = items.Any(i => i.Required == true && i.EnableWhen.Count == 0) ? true : null,
                Item = [.. items],
            };
            group.Extension.Add(new Extension(ExtractCategoryUrl, new CodeableConcept(service, code, display)));
            group.Extension.Add(new Extension(ExtractCategoryUrl, new CodeableConcept(ObservationCategory, "social-history", "Social History")));
            return group;
        }

        private Questionnaire.ItemComponent Question(
            string linkId, ItemType type, Coding code, string text, bool required = false, bool repeats = false, int? maxLength = null,
            IEnumerable<Questionnaire.AnswerOptionComponent>? options = null,
            IEnumerable<Questionnaire.EnableWhenComponent>? enableWhen = null,
            Questionnaire.EnableWhenBehavior? enableBehavior = null)
        {
            var item = new Questionnaire.ItemComponent
            {
                LinkId = linkId,
                Code = [code],
                TextElement = translations.Text(text),
                Type = type,
                Required = required ? true : null,
                Repeats = repeats ? true : null,
                MaxLength = maxLength,
                AnswerOption = options?.ToList() ?? [],
                EnableWhen = enableWhen?.ToList() ?? [],
                EnableBehavior = enableBehavior,
            };
            item.Extension.Add(new Extension(ObservationExtractUrl, new FhirBoolean(true)));
            return item;
        }

        // "Another language": the name, written in, asked only after that answer.
        private Questionnaire.ItemComponent WrittenIn(string linkId, string code, string afterLinkId) =>
            Question(linkId, ItemType.String, Service(code), "Please write the language", required: true, maxLength: 100,
                enableWhen: [new() { Question = afterLinkId, Operator = Questionnaire.QuestionnaireItemOperator.Equal, Answer = new Coding(service, OtherLanguage) }]); // a condition, not shown to anyone: no display

        private Questionnaire.ItemComponent Instructions(string linkId, string text)
        {
            return new Questionnaire.ItemComponent { LinkId = linkId, Type = ItemType.Display, TextElement = translations.Text(text) };
        }

        private Coding Service(string code) => new(service, code, ServiceDisplay(code));

        private Questionnaire.AnswerOptionComponent ServiceOption(string code) => Option(service, code, ServiceDisplay(code));

        private Questionnaire.AnswerOptionComponent Option(string system, string code, string display) =>
            new() { Value = new Coding { System = system, Code = code, DisplayElement = translations.Text(display) } };

        // An answer that rules out every other answer to the same question, such as "None".
        private static Questionnaire.AnswerOptionComponent Exclusive(Questionnaire.AnswerOptionComponent option)
        {
            option.Extension.Add(new Extension(OptionExclusiveUrl, new FhirBoolean(true)));
            return option;
        }
    }
}
