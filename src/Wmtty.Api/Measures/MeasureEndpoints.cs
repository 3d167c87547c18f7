using Microsoft.Extensions.Options;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Measures;

/// <summary>
/// <c>Measure/[id]/$evaluate-measure</c>: one outcome figure over a period, as a population-level (summary) MeasureReport,
/// for public-health staff and admins (<see cref="MeasureAccess"/>). GET or POST, the parameters in the query or a
/// Parameters body: <c>periodStart</c> and <c>periodEnd</c>, and optionally <c>reportType=population</c>.
/// </summary>
internal static class MeasureEndpoints
{
    public const string EvaluateDefinition = "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure";

    private static readonly string[] Accepted = ["periodStart", "periodEnd", "reportType"];

    public static void MapOutcomeMeasures(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/Measure/{id}/$evaluate-measure", (string id, HttpContext http, IResourceStore store, OutcomeFigureReader figures, TimeProvider clock, CancellationToken ct) =>
                EvaluateAsync(id, Query(http), http, store, figures, clock, ct))
            .Operation(ResourceTypes.Measure, "evaluate-measure", EvaluateDefinition,
                "An outcome figure over a period (periodStart, periodEnd) as a population-level MeasureReport, de-identified and with small numbers suppressed: public-health staff and admins")
            .Requires(ResourceTypes.Measure, Interactions.Read)
            .ProducesFhir(StatusCodes.Status200OK);

        fhir.MapPost("/Measure/{id}/$evaluate-measure", async (string id, HttpContext http, IResourceStore store, OutcomeFigureReader figures, TimeProvider clock, CancellationToken ct) =>
                await EvaluateAsync(id, [.. Query(http), .. await BodyAsync(http, ct)], http, store, figures, clock, ct))
            .Operation(ResourceTypes.Measure, "evaluate-measure", EvaluateDefinition, "The same, its parameters in a Parameters body (or the query)", "-post")
            .Requires(ResourceTypes.Measure, Interactions.Read)
            .AcceptsFhir().ProducesFhir(StatusCodes.Status200OK);
    }

    private static List<KeyValuePair<string, string>> Query(HttpContext http) =>
        [.. http.Request.Query.Where(p => p.Key is not ("_format" or "_pretty")).SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))];

    // A POST may come with no body at all, its parameters in the query.
    private static async Task<List<KeyValuePair<string, string>>> BodyAsync(HttpContext http, CancellationToken cancellationToken) =>
        http.Request.ContentLength is 0 || (http.Request.ContentLength is null && http.Request.ContentType is null)
            ? []
            : [.. OperationParameters.AsSearch((Parameters)await FhirBody.ReadResourceAsync(http, "Parameters", cancellationToken))];

    private static async Task<IResult> EvaluateAsync(string id, List<KeyValuePair<string, string>> parameters, HttpContext http, IResourceStore store,
        OutcomeFigureReader figures, TimeProvider clock, CancellationToken cancellationToken)
    {
        FhirRequest.RequireValidId(ResourceTypes.Measure, id);
        MeasureAccess.Require(Caller.Of(http));
        if (parameters.FirstOrDefault(p => !Accepted.Contains(p.Key)) is { Key: { } unknown })
        {
            throw FhirException.BadRequest(
                $"$evaluate-measure here takes periodStart, periodEnd and reportType=population, not '{FhirText.Shorten(unknown, 40)}': the figures are for the whole population, never a subject.",
                IssueType.NotSupported);
        }

        if (parameters.GroupBy(p => p.Key).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw FhirException.BadRequest($"'{repeated.Key}' is given more than once.");
        }

        var values = parameters.ToDictionary(p => p.Key, p => p.Value);
        if (values.GetValueOrDefault("reportType") is { } reportType && reportType != "population")
        {
            throw FhirException.BadRequest($"reportType '{FhirText.Shorten(reportType, 40)}' is not supported: the figures are population-level only.", IssueType.NotSupported);
        }

        var period = MeasurePeriod.Parse(values.GetValueOrDefault("periodStart"), values.GetValueOrDefault("periodEnd"), clock.GetUtcNow());
        if (await store.ReadAsync(ResourceTypes.Measure, id, cancellationToken) is not { IsDeleted: false, Json: { } json })
        {
            throw FhirException.NotFound($"Measure/{id} is not known here.");
        }

        var measure = (Measure)FhirSerialization.ReadStored(json);
        var canonicalBase = http.RequestServices.GetRequiredService<IOptions<DefinitionOptions>>().Value.CanonicalBase;
        var figure = OutcomeFigures.All.FirstOrDefault(f => OutcomeMeasures.Url(canonicalBase, f) == measure.Url && measure.Version == OutcomeFigures.Version)
            ?? throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotSupported,
                $"Measure/{id} is not one of the outcome figures this service counts ({FhirText.Shorten(measure.Url ?? "no url", 200)}|{measure.Version}).", "Measure"));

        var result = (await figures.ReadAsync([figure], period, cancellationToken))[0];
        return FhirResult.Of(StatusCodes.Status200OK, OutcomeReports.Build(result, $"{measure.Url}|{measure.Version}", period, clock.GetUtcNow(), figures.Labels));
    }
}
