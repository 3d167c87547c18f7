using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Responses;
using Xunit;

namespace Wmtty.Tests.Units;

/// <summary>The SDC rules on a small questionnaire of every shape: ValueSets, operators, display items, nested answers.</summary>
public sealed class ResponseValidatorTests
{
    private const string Colours = "https://wmtty.example/ValueSet/colours";

    private static Questionnaire Sample() => new()
    {
        Url = "https://wmtty.example/q",
        Version = "1",
        Status = PublicationStatus.Active,
        Item =
        [
            new() { LinkId = "intro", Type = Questionnaire.QuestionnaireItemType.Display, Text = "Read me" },
            new() { LinkId = "age", Type = Questionnaire.QuestionnaireItemType.Integer, Text = "Age" },
            new()
            {
                LinkId = "over-65", Type = Questionnaire.QuestionnaireItemType.Boolean, Required = true,
                EnableWhen = [new() { Question = "age", Operator = Questionnaire.QuestionnaireItemOperator.GreaterOrEqual, Answer = new Integer(65) }],
            },
            new() { LinkId = "colour", Type = Questionnaire.QuestionnaireItemType.Choice, AnswerValueSet = Colours, Repeats = true },
            new()
            {
                LinkId = "pet", Type = Questionnaire.QuestionnaireItemType.Boolean,
                Item = [new() { LinkId = "pet-name", Type = Questionnaire.QuestionnaireItemType.String, MaxLength = 5, Required = true }],
            },
        ],
    };

    private static readonly Dictionary<string, IReadOnlySet<(string? System, string? Code)>> ValueSets = new()
    {
        [Colours] = new HashSet<(string?, string?)> { ("https://wmtty.example/colours", "red") },
    };

    private static QuestionnaireResponse Response(params QuestionnaireResponse.ItemComponent[] items) =>
        new() { Status = QuestionnaireResponse.QuestionnaireResponseStatus.Completed, Item = [.. items] };

    private static QuestionnaireResponse.ItemComponent Item(string linkId, params DataType[] values) =>
        new() { LinkId = linkId, Answer = [.. values.Select(v => new QuestionnaireResponse.AnswerComponent { Value = v })] };

    private static IReadOnlyList<OperationOutcome.IssueComponent> Check(QuestionnaireResponse response) =>
        new ResponseValidator(Sample(), ValueSets).Check(response);

    [Fact]
    public void EnableWhenComparesNumbersWithTheOperatorGiven()
    {
        Assert.Empty(Check(Response(Item("age", new Integer(70)), Item("over-65", new FhirBoolean(true)))));
        var young = Check(Response(Item("age", new Integer(30)), Item("over-65", new FhirBoolean(true))));
        Assert.Equal("QuestionnaireResponse.item[1].answer[0]", Assert.Single(young).Expression.Single());
        var missing = Check(Response(Item("age", new Integer(65))));
        Assert.Equal(OperationOutcome.IssueType.Required, Assert.Single(missing).Code);
        Assert.Empty(Check(Response())); // no age: over-65 is not asked, so not required
    }

    [Fact]
    public void AnswersComeFromTheValueSet()
    {
        Assert.Empty(Check(Response(Item("colour", new Coding("https://wmtty.example/colours", "red")))));
        var blue = Check(Response(Item("colour", new Coding("https://wmtty.example/colours", "blue"))));
        Assert.Equal(OperationOutcome.IssueType.CodeInvalid, Assert.Single(blue).Code);
        var unknown = new ResponseValidator(Sample()).Check(Response(Item("colour", new Coding("https://wmtty.example/colours", "red"))));
        Assert.Equal(OperationOutcome.IssueType.NotSupported, Assert.Single(unknown).Code);
    }

    [Fact]
    public void NestedQuestionsUnderAnAnswerFollowTheSameRules()
    {
        var answered = Item("pet", new FhirBoolean(true));
        answered.Answer[0].Item.Add(Item("pet-name", new FhirString("Rex")));
        Assert.Empty(Check(Response(answered)));

        var tooLong = Item("pet", new FhirBoolean(true));
        tooLong.Answer[0].Item.Add(Item("pet-name", new FhirString("Bartholomew")));
        Assert.Equal("QuestionnaireResponse.item[0].answer[0].item[0].answer[0]", Assert.Single(Check(Response(tooLong))).Expression.Single());

        var misplaced = Item("pet", new FhirBoolean(true));
        misplaced.Item.Add(Item("pet-name", new FhirString("Rex")));
        Assert.Contains(Check(Response(misplaced)), i => i.Expression.Single() == "QuestionnaireResponse.item[0].item[0]");
    }

    [Fact]
    public void DisplayItemsAndMissingValuesAreRefused()
    {
        Assert.Single(Check(Response(Item("intro", new FhirString("hello")))));
        var empty = new QuestionnaireResponse.ItemComponent { LinkId = "age", Answer = [new QuestionnaireResponse.AnswerComponent()] };
        Assert.Equal("QuestionnaireResponse.item[0].answer[0]", Assert.Single(Check(Response(empty))).Expression.Single());
        Assert.Single(Check(Response(new QuestionnaireResponse.ItemComponent { Answer = [new() { Value = new Integer(1) }] })));
    }

    [Fact]
    public void AValueSetIsEnumeratedFromItsConceptsOrAWholeCodeSystem()
    {
        var listed = new ValueSet { Compose = new() { Include = [new() { System = "s", Concept = [new() { Code = "a" }] }] } };
        Assert.Equal([("s", "a")], ValueSetContents.Codes(listed, _ => null)!);

        var whole = new ValueSet { Compose = new() { Include = [new() { System = "s" }] } };
        var system = new CodeSystem { Content = CodeSystemContentMode.Complete, Concept = [new() { Code = "a", Concept = [new() { Code = "b" }] }] };
        Assert.Equal(2, ValueSetContents.Codes(whole, _ => system)!.Count);
        Assert.Null(ValueSetContents.Codes(whole, _ => null));

        var filtered = new ValueSet { Compose = new() { Include = [new() { System = "s", Filter = [new() { Property = "concept", Op = FilterOperator.IsA, Value = "a" }] }] } };
        Assert.Null(ValueSetContents.Codes(filtered, _ => system));
    }
}
