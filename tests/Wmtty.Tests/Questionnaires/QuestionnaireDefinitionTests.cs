using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Serialization;
using Wmtty.Fhir.Validation;
using Xunit;

namespace Wmtty.Tests.Questionnaires;

/// <summary>The canonical questionnaire, as built: valid, coded, extractable and translated.</summary>
public sealed class QuestionnaireDefinitionTests
{
    private const string Base = "https://wmtty.example.org/fhir";
    private static readonly Questionnaire Built = WhatMattersQuestionnaire.Build(Base);

    /// <summary>Every displayable text: the title, item texts and answer displays, with where each is.</summary>
    public static IEnumerable<(string Path, PrimitiveType? Text)> DisplayableTexts(Questionnaire questionnaire)
    {
        yield return ("Questionnaire.title", questionnaire.TitleElement);
        yield return ("Questionnaire.description", questionnaire.DescriptionElement);
        foreach (var (item, path) in Items(questionnaire.Item, "Questionnaire"))
        {
            yield return ($"{path}.text", item.TextElement);
            for (var i = 0; i < item.AnswerOption.Count; i++)
            {
                if (item.AnswerOption[i].Value is Coding coding)
                {
                    yield return ($"{path}.answerOption[{i}].valueCoding.display", coding.DisplayElement);
                }
            }
        }
    }

    public static IEnumerable<(Questionnaire.ItemComponent Item, string Path)> Items(List<Questionnaire.ItemComponent> items, string parent)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"{parent}.item[{i}]";
            yield return (items[i], path);
            foreach (var child in Items(items[i].Item, path))
            {
                yield return child;
            }
        }
    }

    [Fact]
    public void EveryTextHasAllNineLanguages()
    {
        var missing = new List<string>();
        foreach (var (path, text) in DisplayableTexts(Built))
        {
            Assert.False(string.IsNullOrWhiteSpace(text?.JsonValue as string), $"{path} has no English text.");
            var languages = text!.Extension.Where(e => e.Url == Translations.ExtensionUrl)
                .Select(e => e.GetExtensionValue<Code>("lang")?.Value).ToHashSet();
            foreach (var tag in Translations.Languages.Where(l => !languages.Contains(l)))
            {
                missing.Add($"{tag}: \"{text.JsonValue}\"");
            }
        }

        Assert.True(missing.Count == 0, $"{missing.Count} translations are missing:\n{string.Join("\n", missing.Distinct())}");
        Assert.Equal("en", Built.Language);
        Assert.Equal(8, Translations.Languages.Count);
    }

    [Fact]
    public void TranslationsAreMarkedAsNeedingReviewWhereAReaderSeesThem()
    {
        Assert.Contains(Built.Meta!.Tag, t => t.Code == PreferenceCodes.TranslationsNeedReview && t.Display!.Contains("native speakers"));
        Assert.Contains("need review", Built.Description);
    }

    [Fact]
    public void EveryQuestionThatRecordsAPreferenceHasACodeAndIsMarkedForExtraction()
    {
        var questions = Items(Built.Item, "Questionnaire").Where(x => x.Item.Type is not (Questionnaire.QuestionnaireItemType.Group or Questionnaire.QuestionnaireItemType.Display)).ToList();
        Assert.True(questions.Count >= 18);
        foreach (var (item, path) in questions)
        {
            Assert.True(item.Code.Count == 1 && item.Code[0].System is { Length: > 0 } && item.Code[0].Code is { Length: > 0 }, $"{path} has no code.");
            Assert.True(item.GetExtensionValue<FhirBoolean>(WhatMattersQuestionnaire.ObservationExtractUrl)?.Value == true, $"{path} is not marked for extraction.");
            if (item.Type == Questionnaire.QuestionnaireItemType.Choice)
            {
                Assert.All(item.AnswerOption, o => Assert.IsType<Coding>(o.Value));
            }

            if (item.Type is Questionnaire.QuestionnaireItemType.String or Questionnaire.QuestionnaireItemType.Text)
            {
                Assert.True(item.MaxLength > 0, $"{path} is free text without maxLength.");
            }
        }

        Assert.Equal(5, Built.Item.Count);
        Assert.All(Built.Item, section => Assert.Equal(2, section.Extension.Count(e => e.Url == WhatMattersQuestionnaire.ExtractCategoryUrl)));
    }

    [Fact]
    public void UsesTheRealCodesAndNeverInventsOneInSomeoneElsesSystem()
    {
        var codings = Items(Built.Item, "Q").SelectMany(x => x.Item.Code.Concat(x.Item.AnswerOption.Select(o => o.Value).OfType<Coding>())).ToList();
        var service = PreferenceCodes.ServiceSystem(Base);
        var known = new Dictionary<string, HashSet<string>>
        {
            [PreferenceCodes.Loinc] = ["54899-0", "54588-9", "81364-2", "95541-9"],
            [PreferenceCodes.Snomed] = ["314434008", "314435009", "1108151000000106", "796161000000101", "520471000000105", .. PreferenceCodes.Interpreters.Select(i => i.Snomed)],
            [PreferenceCodes.Diet] = ["vegetarian", "dairy-free", "nut-free", "gluten-free", "vegan", "halal", "kosher"],
            [PreferenceCodes.ContactMethod] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
            [PreferenceCodes.WrittenFormat] = ["11", "12", "13"],
            [PreferenceCodes.Bcp47] = ["en", "pl", "ro", "ur", "bn", "pa", "gu", "so", "ar", "bfi"],
            [service] = [.. PreferenceCodes.ServiceConcepts.Select(c => c.Code)],
        };
        foreach (var coding in codings)
        {
            Assert.True(known.TryGetValue(coding.System ?? "", out var codes) && codes.Contains(coding.Code ?? ""), $"{coding.System}|{coding.Code} is not a verified code.");
        }

        Assert.Contains(codings, c => c.System == PreferenceCodes.Snomed && c.Code == "203901000000102"); // Polish interpreter
    }

    [Fact]
    public void SensitiveQuestionsOfferPreferNotToSay()
    {
        foreach (var linkId in new[] { "religion", "faith-care-needs", "clinician-gender", "who-to-involve" })
        {
            var item = Items(Built.Item, "Q").Single(x => x.Item.LinkId == linkId).Item;
            Assert.Contains(item.AnswerOption, o => o.Value is Coding { Code: PreferenceCodes.PreferNotToSay });
        }
    }

    [Fact]
    public void TheInterpreterLanguageIsOnlyAskedWhenAnInterpreterIsNeeded()
    {
        var item = Items(Built.Item, "Q").Single(x => x.Item.LinkId == WhatMattersQuestionnaire.InterpreterLanguageLinkId).Item;
        var condition = Assert.Single(item.EnableWhen);
        Assert.Equal(WhatMattersQuestionnaire.InterpreterNeededLinkId, condition.Question);
        Assert.Equal(true, ((FhirBoolean)condition.Answer).Value);
    }

    [Fact]
    public void TheQuestionnaireIsValidFhir()
    {
        var json = FhirSerialization.ToJsonBytes(Built);
        var parsed = FhirSerialization.ParseJson(json);
        Assert.True(parsed.Resource is Questionnaire, parsed.Errors?.Issue.FirstOrDefault()?.Diagnostics);
        Assert.Empty(StructureRules.Check(parsed.Resource!));

        // The R4 Questionnaire invariants, evaluated as written in the specification.
        string[] invariants =
        [
            "descendants().linkId.isDistinct()",                                                           // que-2
            "item.all((type = 'group' implies item.empty().not()) and (type = 'display' implies item.empty()))", // que-1
            "descendants().where(type = 'display').all(code.empty() and required.empty() and repeats.empty())", // que-3, que-6
            "descendants().where(maxLength.exists()).all(type in ('boolean' | 'decimal' | 'integer' | 'string' | 'text' | 'url' | 'open-choice'))", // que-10
            "descendants().where(enableWhen.count() > 1).all(enableBehavior.exists())",                      // que-12
            "descendants().where(answerOption.exists()).all(answerValueSet.empty() and initial.empty())",    // que-4, que-11
            "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')",                                                  // que-0
        ];
        foreach (var invariant in invariants)
        {
            Assert.True(new FhirPathCompiler().Compile(invariant).IsTrue(Built.ToPocoNode(), new EvaluationContext()), $"Invariant failed: {invariant}");
        }
    }
}
