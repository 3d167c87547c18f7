using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Responses;

/// <summary>
/// Evaluates <c>enableWhen</c> against the answers in a response, as SDC defines it: a question with
/// no answer satisfies only <c>exists = false</c>, and <c>enableBehavior</c> combines several conditions.
/// </summary>
public sealed class EnableWhen
{
    private readonly ILookup<string, DataType> answers;

    public EnableWhen(QuestionnaireResponse response) =>
        answers = Answered(response.Item).ToLookup(a => a.LinkId, a => a.Value, StringComparer.Ordinal);

    public bool IsEnabled(Questionnaire.ItemComponent item)
    {
        if (item.EnableWhen.Count == 0)
        {
            return true;
        }

        var results = item.EnableWhen.Select(Holds);
        return item.EnableBehavior == Questionnaire.EnableWhenBehavior.Any ? results.Any(r => r) : results.All(r => r);
    }

    /// <summary>Whether one condition holds, whatever the item's enableBehavior.</summary>
    public bool Holds(Questionnaire.EnableWhenComponent condition)
    {
        var given = answers[condition.Question ?? ""].ToList();
        if (condition.Operator == Questionnaire.QuestionnaireItemOperator.Exists)
        {
            return (condition.Answer as FhirBoolean)?.Value == given.Count > 0;
        }

        if (given.Count == 0 || condition.Answer is null)
        {
            return false;
        }

        return condition.Operator switch
        {
            Questionnaire.QuestionnaireItemOperator.Equal => given.Any(a => AnswerValues.Same(a, condition.Answer)),
            Questionnaire.QuestionnaireItemOperator.NotEqual => !given.Any(a => AnswerValues.Same(a, condition.Answer)),
            Questionnaire.QuestionnaireItemOperator.GreaterThan => given.Any(a => AnswerValues.Compare(a, condition.Answer) is > 0),
            Questionnaire.QuestionnaireItemOperator.LessThan => given.Any(a => AnswerValues.Compare(a, condition.Answer) is < 0),
            Questionnaire.QuestionnaireItemOperator.GreaterOrEqual => given.Any(a => AnswerValues.Compare(a, condition.Answer) is >= 0),
            Questionnaire.QuestionnaireItemOperator.LessOrEqual => given.Any(a => AnswerValues.Compare(a, condition.Answer) is <= 0),
            _ => false,
        };
    }

    private static IEnumerable<(string LinkId, DataType Value)> Answered(IEnumerable<QuestionnaireResponse.ItemComponent> items)
    {
        foreach (var item in items)
        {
            foreach (var answer in item.Answer)
            {
                if (item.LinkId is not null && answer.Value is not null)
                {
                    yield return (item.LinkId, answer.Value);
                }

                foreach (var nested in Answered(answer.Item))
                {
                    yield return nested;
                }
            }

            foreach (var nested in Answered(item.Item))
            {
                yield return nested;
            }
        }
    }
}

/// <summary>Equality and order of answer values, as enableWhen and answerOption use them.</summary>
public static class AnswerValues
{
    /// <summary>Codings are the same when system and code match; display is only a label.</summary>
    public static bool Same(DataType a, DataType b) => (a, b) switch
    {
        (Coding x, Coding y) => x.System == y.System && x.Code == y.Code,
        (PrimitiveType x, PrimitiveType y) when x.GetType() == y.GetType() => Equals(x.JsonValue, y.JsonValue),
        (Quantity x, Quantity y) => x.Value == y.Value && x.System == y.System && x.Code == y.Code,
        (ResourceReference x, ResourceReference y) => x.Reference == y.Reference,
        _ => false,
    };

    /// <summary>Compares ordered values of one type; null when they cannot be compared.</summary>
    public static int? Compare(DataType a, DataType b) => (a, b) switch
    {
        (Integer x, Integer y) when x.Value is { } xv && y.Value is { } yv => xv.CompareTo(yv),
        (FhirDecimal x, FhirDecimal y) when x.Value is { } xv && y.Value is { } yv => xv.CompareTo(yv),
        (Integer x, FhirDecimal y) when x.Value is { } xv && y.Value is { } yv => ((decimal)xv).CompareTo(yv),
        (FhirDecimal x, Integer y) when x.Value is { } xv && y.Value is { } yv => xv.CompareTo(yv),
        (Date or FhirDateTime or Time or FhirString, Date or FhirDateTime or Time or FhirString) when a.GetType() == b.GetType() =>
            string.CompareOrdinal(((PrimitiveType)a).JsonValue as string, ((PrimitiveType)b).JsonValue as string),
        _ => null,
    };
}
