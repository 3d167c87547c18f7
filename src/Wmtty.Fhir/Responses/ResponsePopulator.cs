using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Responses;

/// <summary>
/// SDC <c>$populate</c> from current preferences: an in-progress response to the questionnaire with
/// every question whose code has a current Observation answered from it, so updating preferences
/// never means starting again. Values the questionnaire no longer offers are left out, as are
/// answers to questions that the other answers switch off.
/// </summary>
public static class ResponsePopulator
{
    public static QuestionnaireResponse Populate(Questionnaire questionnaire, IReadOnlyList<Observation> preferences, ResourceReference subject, DateTimeOffset now)
    {
        var response = new QuestionnaireResponse
        {
            Questionnaire = $"{questionnaire.Url}|{questionnaire.Version}",
            Status = QuestionnaireResponse.QuestionnaireResponseStatus.InProgress,
            Language = preferences.Select(o => o.Language).FirstOrDefault(l => l is not null), // the language the answers were given in
            Subject = subject,
            AuthoredElement = new FhirDateTime(now.ToUniversalTime().AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond))),
            Item = Items(questionnaire.Item, preferences),
        };

        RemoveDisabled(questionnaire, response);
        return response;
    }

    /// <summary>Removes the answers to every question the other answers switch off (and groups left empty).</summary>
    public static void RemoveDisabled(Questionnaire questionnaire, QuestionnaireResponse response)
    {
        // Dropping a switched-off answer can switch off another question, so repeat until nothing changes.
        while (RemoveDisabled(questionnaire.Item, response.Item, new EnableWhen(response)))
        {
        }
    }

    private static List<QuestionnaireResponse.ItemComponent> Items(List<Questionnaire.ItemComponent> definitions, IReadOnlyList<Observation> preferences)
    {
        var items = new List<QuestionnaireResponse.ItemComponent>();
        foreach (var definition in definitions)
        {
            if (definition.Type == Questionnaire.QuestionnaireItemType.Group)
            {
                var children = Items(definition.Item, preferences);
                if (children.Count > 0)
                {
                    items.Add(new QuestionnaireResponse.ItemComponent { LinkId = definition.LinkId, Text = definition.Text, Item = children });
                }

                continue;
            }

            var answers = Answers(definition, preferences);
            if (answers.Count > 0)
            {
                items.Add(new QuestionnaireResponse.ItemComponent
                {
                    LinkId = definition.LinkId,
                    Text = definition.Text,
                    Answer = definition.Repeats == true ? answers : [answers[0]],
                });
            }
        }

        return items;
    }

    private static List<QuestionnaireResponse.AnswerComponent> Answers(Questionnaire.ItemComponent definition, IReadOnlyList<Observation> preferences)
    {
        var matching = preferences.Where(o => o.Code?.Coding.Any(c => definition.Code.Any(d => d.System == c.System && d.Code == c.Code)) == true);
        var answers = new List<QuestionnaireResponse.AnswerComponent>();
        foreach (var observation in matching)
        {
            if (Answer(definition, observation.Value) is { } value && !answers.Any(a => AnswerValues.Same(a.Value!, value)))
            {
                answers.Add(new QuestionnaireResponse.AnswerComponent { Value = value });
            }
        }

        return answers;
    }

    private static DataType? Answer(Questionnaire.ItemComponent definition, DataType? value)
    {
        switch (definition.Type, value)
        {
            case (Questionnaire.QuestionnaireItemType.Choice or Questionnaire.QuestionnaireItemType.OpenChoice, CodeableConcept concept):
                var option = definition.AnswerOption.Select(o => o.Value).OfType<Coding>()
                    .FirstOrDefault(o => concept.Coding.Any(c => c.System == o.System && c.Code == o.Code));
                return option is null ? null : new Coding(option.System, option.Code, option.Display);
            case (Questionnaire.QuestionnaireItemType.Boolean, FhirBoolean flag):
                return new FhirBoolean(flag.Value);
            case (Questionnaire.QuestionnaireItemType.String or Questionnaire.QuestionnaireItemType.Text, FhirString text)
                when definition.MaxLength is not { } max || (text.Value?.EnumerateRunes().Count() ?? 0) <= max:
                return new FhirString(text.Value);
            case (Questionnaire.QuestionnaireItemType.Integer, Integer number):
                return new Integer(number.Value);
            default:
                return null;
        }
    }

    private static bool RemoveDisabled(List<Questionnaire.ItemComponent> definitions, List<QuestionnaireResponse.ItemComponent> items, EnableWhen enableWhen)
    {
        var removed = false;
        foreach (var item in items.ToList())
        {
            var definition = definitions.FirstOrDefault(d => d.LinkId == item.LinkId);
            if (definition is null)
            {
                continue; // not in this questionnaire: the validator says so
            }

            if (!enableWhen.IsEnabled(definition))
            {
                items.Remove(item);
                removed = true;
            }
            else if (item.Item.Count > 0)
            {
                removed |= RemoveDisabled(definition.Item, item.Item, enableWhen);
                if (item.Item.Count == 0)
                {
                    items.Remove(item);
                    removed = true;
                }
            }
        }

        return removed;
    }
}
