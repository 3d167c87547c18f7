using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Questionnaires;

/// <summary>
/// The codes of a ValueSet that enumerates them: its expansion, or its compose includes that list
/// concepts or take a whole CodeSystem. Filters, excludes and imported ValueSets are beyond it.
/// </summary>
public static class ValueSetContents
{
    /// <summary>The (system, code) pairs, or null when the ValueSet cannot be enumerated this simply.</summary>
    public static IReadOnlySet<(string? System, string? Code)>? Codes(ValueSet valueSet, Func<string, CodeSystem?> codeSystem)
    {
        if (valueSet.Expansion?.Contains.Count > 0)
        {
            return Flatten(valueSet.Expansion.Contains).ToHashSet();
        }

        var compose = valueSet.Compose;
        if (compose is null || compose.Include.Count == 0 || compose.Exclude.Count > 0
            || compose.Include.Any(i => i.Filter.Count > 0 || i.ValueSet.Any() || i.System is null))
        {
            return null;
        }

        var codes = new HashSet<(string?, string?)>();
        foreach (var include in compose.Include)
        {
            if (include.Concept.Count > 0)
            {
                codes.UnionWith(include.Concept.Select(c => ((string?)include.System, (string?)c.Code)));
            }
            else if (codeSystem(include.System!) is { Content: CodeSystemContentMode.Complete } system)
            {
                codes.UnionWith(Concepts(system.Concept).Select(c => ((string?)include.System, (string?)c.Code)));
            }
            else
            {
                return null;
            }
        }

        return codes;
    }

    /// <summary>Every answerValueSet URL a questionnaire names.</summary>
    public static IEnumerable<string> Named(Questionnaire questionnaire) =>
        Items(questionnaire.Item).Select(i => i.AnswerValueSet).OfType<string>().Distinct(StringComparer.Ordinal);

    private static IEnumerable<(string?, string?)> Flatten(IEnumerable<ValueSet.ContainsComponent> contains) =>
        contains.SelectMany(c => Flatten(c.Contains).Prepend((c.System, c.Code)));

    private static IEnumerable<CodeSystem.ConceptDefinitionComponent> Concepts(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts) =>
        concepts.SelectMany(c => Concepts(c.Concept).Prepend(c));

    private static IEnumerable<Questionnaire.ItemComponent> Items(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => Items(i.Item).Prepend(i));
}
