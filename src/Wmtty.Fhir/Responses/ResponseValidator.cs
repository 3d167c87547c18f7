using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Fhir.Responses;

/// <summary>
/// Checks a QuestionnaireResponse against the Questionnaire version it answers, by SDC's rules:
/// linkIds, nesting and order, answer types, required, repeats, answerOption or ValueSet, maxLength and
/// enableWhen. Every problem is one issue whose expression points at the exact item or answer.
/// </summary>
public sealed class ResponseValidator
{
    /// <summary>The most problems listed one by one in an outcome.</summary>
    public const int MaxIssues = 100;

    private readonly Questionnaire questionnaire;
    private readonly IReadOnlyDictionary<string, IReadOnlySet<(string? System, string? Code)>> valueSets;
    private readonly Dictionary<string, string> parents = new(StringComparer.Ordinal);
    private readonly List<OperationOutcome.IssueComponent> issues = [];
    private EnableWhen enableWhen = null!;
    private bool complete;

    /// <param name="valueSets">The codes of every ValueSet named by an <c>answerValueSet</c>, by canonical URL.</param>
    public ResponseValidator(Questionnaire questionnaire, IReadOnlyDictionary<string, IReadOnlySet<(string? System, string? Code)>>? valueSets = null)
    {
        this.questionnaire = questionnaire;
        this.valueSets = valueSets ?? new Dictionary<string, IReadOnlySet<(string?, string?)>>();
        foreach (var item in questionnaire.Item)
        {
            IndexParents(item, "the top level");
        }
    }

    /// <summary>Whether a response in this status gets the full rules (completed, amended) rather than the lenient ones.</summary>
    public static bool IsComplete(QuestionnaireResponse response) =>
        response.Status is QuestionnaireResponse.QuestionnaireResponseStatus.Completed or QuestionnaireResponse.QuestionnaireResponseStatus.Amended;

    /// <summary>
    /// All the problems with the response. A completed or amended response must keep every rule; any
    /// other status (in progress, so the patient can stop and resume) skips required and enableWhen.
    /// </summary>
    public IReadOnlyList<OperationOutcome.IssueComponent> Check(QuestionnaireResponse response)
    {
        issues.Clear();
        complete = IsComplete(response);
        enableWhen = new EnableWhen(response);
        Items(questionnaire.Item, response.Item, "QuestionnaireResponse");
        if (issues.Count <= MaxIssues)
        {
            return [.. issues];
        }

        // Enough to act on, without answering a broken upload with megabytes of outcome.
        return [.. issues.Take(MaxIssues), Outcome.Issue(OperationOutcome.IssueSeverity.Error, IssueType.TooCostly,
            $"{issues.Count - MaxIssues} more problems were found and are not listed. Fix these and send the response again.")];
    }

    private void Items(List<Questionnaire.ItemComponent> definitions, List<QuestionnaireResponse.ItemComponent> given, string path)
    {
        var last = -1;
        for (var i = 0; i < given.Count; i++)
        {
            var item = given[i];
            var itemPath = $"{path}.item[{i}]";
            var index = definitions.FindIndex(d => d.LinkId == item.LinkId);
            if (index < 0)
            {
                Misplaced(item.LinkId, itemPath);
                continue;
            }

            var definition = definitions[index];
            if (index < last)
            {
                Error(IssueType.Structure, $"{Name(definition)} is out of order: the questionnaire asks it before '{definitions[last].LinkId}'.", itemPath);
            }
            else if (index == last && definition.Type != ItemType.Group)
            {
                Error(IssueType.Structure, $"{Name(definition)} appears more than once. Give several answers to one item instead.", itemPath);
            }
            else if (index == last && definition.Repeats != true)
            {
                Error(IssueType.Structure, $"{Name(definition)} is a group that does not repeat, but appears more than once.", itemPath);
            }

            last = Math.Max(last, index);
            Item(definition, item, itemPath);
        }

        if (!complete)
        {
            return;
        }

        foreach (var definition in definitions.Where(d => d.Required == true && enableWhen.IsEnabled(d)))
        {
            if (!given.Any(g => g.LinkId == definition.LinkId && HasAnswers(g)))
            {
                Error(IssueType.Required, $"{Name(definition)} is required but has no answer.", path);
            }
        }
    }

    private void Item(Questionnaire.ItemComponent definition, QuestionnaireResponse.ItemComponent item, string path)
    {
        switch (definition.Type)
        {
            case ItemType.Display:
                if (item.Answer.Count > 0 || item.Item.Count > 0)
                {
                    Error(IssueType.Structure, $"{Name(definition)} is text to read; it takes no answers or items.", path);
                }

                return;

            case ItemType.Group:
                if (item.Answer.Count > 0)
                {
                    Error(IssueType.Structure, $"{Name(definition)} is a group of questions; it takes no answer itself.", path + ".answer[0]");
                }

                if (complete && !enableWhen.IsEnabled(definition) && HasAnswers(item))
                {
                    Error(IssueType.BusinessRule, $"{Name(definition)} is not asked, given the other answers (enableWhen), so nothing in it may be answered.", path);
                    return;
                }

                Items(definition.Item, item.Item, path);
                return;
        }

        if (item.Item.Count > 0)
        {
            Error(IssueType.Structure, $"{Name(definition)} is a question: items nested in it belong under its answer, not under the item.", path + ".item[0]");
        }

        if (complete && item.Answer.Count > 0 && !enableWhen.IsEnabled(definition))
        {
            Error(IssueType.BusinessRule, $"{Name(definition)} is not asked, given the answer to {Conditions(definition)} (enableWhen), so it must not be answered.", path + ".answer[0]");
            return;
        }

        if (item.Answer.Count > 1 && definition.Repeats != true)
        {
            Error(IssueType.Structure, $"{Name(definition)} takes one answer, but has {item.Answer.Count}.", path + ".answer[1]");
        }

        for (var j = 0; j < item.Answer.Count; j++)
        {
            Answer(definition, item.Answer[j], $"{path}.answer[{j}]");
            if (item.Answer[j].Value is { } value && item.Answer.Take(j).Any(a => a.Value is not null && AnswerValues.Same(a.Value, value)))
            {
                Error(IssueType.Duplicate, $"{Name(definition)} has the answer '{Label(value)}' more than once.", $"{path}.answer[{j}]");
            }
        }

        var exclusive = item.Answer.Select(a => Option(definition, a.Value)).FirstOrDefault(o => o?.GetExtensionValue<FhirBoolean>(WhatMattersQuestionnaire.OptionExclusiveUrl)?.Value == true);
        if (exclusive is not null && item.Answer.Count > 1)
        {
            Error(IssueType.BusinessRule, $"{Name(definition)}: '{Label(exclusive.Value)}' cannot be chosen together with other answers.", path);
        }
    }

    private void Answer(Questionnaire.ItemComponent definition, QuestionnaireResponse.AnswerComponent answer, string path)
    {
        var value = answer.Value;
        if (value is null)
        {
            Error(IssueType.Required, $"An answer to {Name(definition)} has no value.", path);
        }
        else if (!Fits(definition, value))
        {
            Error(IssueType.Value, $"{Name(definition)} is a {Literal(definition.Type)} question, so its answer cannot be a {value.TypeName}{Expected(definition.Type)}.", path);
        }
        else
        {
            CheckOption(definition, value, path);
            CheckLength(definition, value, path);
        }

        if (answer.Item.Count > 0)
        {
            Items(definition.Item, answer.Item, path);
        }
    }

    private void CheckOption(Questionnaire.ItemComponent definition, DataType value, string path)
    {
        if (definition.Type == ItemType.OpenChoice && value is FhirString)
        {
            return; // open choice: free text is allowed alongside the options
        }

        if (definition.AnswerOption.Count > 0)
        {
            if (Option(definition, value) is null && (value is Coding || definition.AnswerOption.Any(o => o.Value?.GetType() == value.GetType())))
            {
                Error(IssueType.CodeInvalid, $"'{Label(value)}' is not one of the answers {Name(definition)} offers.", path);
            }
        }
        else if (definition.AnswerValueSet is { Length: > 0 } url && value is Coding coding)
        {
            if (!valueSets.TryGetValue(url, out var codes))
            {
                Error(IssueType.NotSupported, $"{Name(definition)} takes its answers from the ValueSet '{FhirText.Shorten(url, 200)}', which this service does not hold, so the answer cannot be checked.", path);
            }
            else if (!codes.Contains((coding.System, coding.Code)))
            {
                Error(IssueType.CodeInvalid, $"'{Label(value)}' is not in the ValueSet of answers for {Name(definition)}.", path);
            }
        }
    }

    private void CheckLength(Questionnaire.ItemComponent definition, DataType value, string path)
    {
        if (definition.MaxLength is not { } max || value is not (FhirString or FhirUri or Coding))
        {
            return;
        }

        var text = value is Coding coding ? coding.Code : (string?)((PrimitiveType)value).JsonValue;
        var length = text?.EnumerateRunes().Count() ?? 0;
        if (length > max)
        {
            Error(IssueType.TooLong, $"The answer to {Name(definition)} is {length} characters long; at most {max} are allowed.", path);
        }
    }

    private static Questionnaire.AnswerOptionComponent? Option(Questionnaire.ItemComponent definition, DataType? value) =>
        value is null ? null : definition.AnswerOption.FirstOrDefault(o => o.Value is not null && AnswerValues.Same(o.Value, value));

    // A choice answer has the type of the options: Coding usually, but R4 also allows integer, date, time and string options.
    private static bool Fits(Questionnaire.ItemComponent definition, DataType value) =>
        definition.Type is ItemType.Choice or ItemType.OpenChoice && definition.AnswerOption.Any(o => o.Value?.GetType() == value.GetType())
        || Fits(definition.Type, value);

    private static bool Fits(ItemType? type, DataType value) => type switch
    {
        ItemType.Boolean => value is FhirBoolean,
        ItemType.Decimal => value is FhirDecimal,
        ItemType.Integer => value is Integer,
        ItemType.Date => value is Date,
        ItemType.DateTime => value is FhirDateTime,
        ItemType.Time => value is Time,
        ItemType.String or ItemType.Text => value is FhirString,
        ItemType.Url => value is FhirUri,
        ItemType.Choice => value is Coding,
        ItemType.OpenChoice => value is Coding or FhirString,
        ItemType.Attachment => value is Attachment,
        ItemType.Reference => value is ResourceReference,
        ItemType.Quantity => value is Quantity,
        _ => false,
    };

    private static string Expected(ItemType? type) => type switch
    {
        ItemType.Choice => " (give a valueCoding)",
        ItemType.Boolean => " (give a valueBoolean)",
        ItemType.String or ItemType.Text => " (give a valueString)",
        _ => "",
    };

    private static bool HasAnswers(QuestionnaireResponse.ItemComponent item) =>
        item.Answer.Any(a => a.Value is not null) || item.Item.Any(HasAnswers);

    private void Misplaced(string? linkId, string path)
    {
        if (string.IsNullOrEmpty(linkId))
        {
            Error(IssueType.Required, "An item has no linkId, so it cannot be matched to a question.", path);
        }
        else if (parents.TryGetValue(linkId, out var parent))
        {
            Error(IssueType.Structure, $"'{Quote(linkId)}' is in the wrong place: in the questionnaire it belongs in {parent}.", path);
        }
        else
        {
            Error(IssueType.Structure, $"'{Quote(linkId)}' is not a question in {questionnaire.Url}|{questionnaire.Version}.", path);
        }
    }

    private void IndexParents(Questionnaire.ItemComponent item, string parent)
    {
        if (item.LinkId is not null)
        {
            parents[item.LinkId] = parent;
        }

        foreach (var child in item.Item)
        {
            IndexParents(child, $"'{item.LinkId}'");
        }
    }

    private static string Conditions(Questionnaire.ItemComponent definition) =>
        string.Join(" and ", definition.EnableWhen.Select(c => $"'{c.Question}'"));

    private static string Name(Questionnaire.ItemComponent definition) =>
        definition.Text is { Length: > 0 } text ? $"'{definition.LinkId}' (\"{text}\")" : $"'{definition.LinkId}'";

    private static string Label(DataType? value) => value switch
    {
        Coding coding => Quote($"{coding.System}|{coding.Code}"),
        PrimitiveType primitive => Quote(primitive.JsonValue?.ToString() ?? ""),
        _ => value?.TypeName ?? "",
    };

    private static string Literal(ItemType? type) => type?.GetLiteral() ?? "untyped";

    private static string Quote(string text) => FhirText.Shorten(text, 100);

    private void Error(IssueType code, string diagnostics, string expression) =>
        issues.Add(Outcome.Issue(OperationOutcome.IssueSeverity.Error, code, diagnostics, expression));
}
