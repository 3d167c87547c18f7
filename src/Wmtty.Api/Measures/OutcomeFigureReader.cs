using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Data.Measures;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Api.Measures;

/// <summary>The outcome figures over a period: the store's counts at each month's end, turned into published (suppressed) cells.</summary>
internal sealed class OutcomeFigureReader(IMeasureStore store, IOptions<DefinitionOptions> definitions)
{
    private readonly Lazy<OutcomeLabels> labels = new(() =>
    {
        var canonicalBase = definitions.Value.CanonicalBase;
        return OutcomeLabels.From(WhatMattersQuestionnaire.Build(canonicalBase), PreferenceCodes.ServiceSystem(canonicalBase));
    });

    public OutcomeLabels Labels => labels.Value;

    public async Task<IReadOnlyList<FigureResult>> ReadAsync(IReadOnlyList<OutcomeFigure> figures, ReportPeriod period, CancellationToken cancellationToken)
    {
        var moments = period.Months();
        var counted = await store.CountAsync([.. moments.Select(m => m.AsOf)], cancellationToken);
        var months = moments.Zip(counted, (m, counts) => new MonthCounts(m.Month,
            [.. counts.Sets.Select(s => new SetCount(s.Recency, s.Language, s.CompletedBy, s.Practice, s.District, s.Patients))],
            [.. counts.Needs.Select(n => new NeedCount(n.Need, n.Answer, n.Language, n.Practice, n.District, n.Patients))])).ToList();

        var answers = Labels.AnswerOrder;
        return [.. figures.Select(f => FigureCalculator.Calculate(f, months, answers))];
    }
}

internal static class MeasureFactsStorage
{
    /// <summary>The facts as the preference store keeps them with their set (<see cref="Wmtty.Data.Preferences.SetFacts"/>).</summary>
    public static Wmtty.Data.Preferences.SetFacts Stored(this MeasureFacts facts) =>
        new(facts.Language, facts.CompletedBy, facts.Practice, facts.District,
            [.. facts.Needs.Select(n => new Wmtty.Data.Preferences.NeedAnswer(n.Need, n.Value, n.IsNeed))]);
}
