using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.Options;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Definitions;

/// <summary>The definitions the service publishes, built for a canonical base. Replaceable, so tests can publish a changed questionnaire.</summary>
internal sealed class DefinitionSet(Func<string, IReadOnlyList<Resource>> build)
{
    public static DefinitionSet Default { get; } = new(canonicalBase =>
    {
        var questionnaire = WhatMattersQuestionnaire.Build(canonicalBase);
        return [questionnaire, .. PreferenceTerminology.Build(canonicalBase, questionnaire), Wmtty.Fhir.Summaries.SummaryOperation.Build(canonicalBase),
            Wmtty.Fhir.Rights.EraseOperation.Build(canonicalBase), .. Wmtty.Fhir.Measures.OutcomeMeasures.Build(canonicalBase)];
    });

    public IReadOnlyList<Resource> Build(string canonicalBase) => build(canonicalBase);
}

/// <summary>
/// Stores the questionnaire, CodeSystem, ValueSets and OperationDefinition at start-up. Each version is its own resource,
/// so responses keep the version they answered; a new version retires the older ones. A definition
/// that changed without a new version stops start-up: that would change what old responses meant.
/// </summary>
/// <remarks>
/// Each definition is looked up and written in one write transaction, so instances starting together on one
/// database store it once: the second to get the transaction finds what the first stored.
/// </remarks>
internal sealed class DefinitionSeeder(ResourceWriter writer, DefinitionSet definitions, IOptions<DefinitionOptions> options, ILogger<DefinitionSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var canonicalBase = options.Value.CanonicalBase.TrimEnd('/');
        var localBase = new Uri(canonicalBase + "/");
        foreach (var definition in definitions.Build(canonicalBase))
        {
            var (url, version) = Canonical(definition) is ({ } u, { } v) ? (u, v) : throw new InvalidOperationException($"A published {definition.TypeName} needs a url and a version.");
            // A fresh copy for every attempt: writing stamps id and meta on what it writes, and a retry must
            // compare the definition as built with what another instance may have stored meanwhile.
            var written = await writer.PublishAsync(session => PlanAsync(session, (Resource)definition.DeepCopy(), url, version), localBase, cancellationToken);
            foreach (var outcome in written)
            {
                if (outcome.Kind == WriteKind.Created)
                {
                    logger.DefinitionSeeded(outcome.Type, outcome.Id, $"{url}|{version}");
                }
                else
                {
                    logger.DefinitionRetired(outcome.Type, outcome.Id, $"{url}|{Canonical(FhirSerialization.ReadStored(outcome.Json)).Version}");
                }
            }
        }
    }

    // What to write, decided inside the write transaction: the definition unless its url|version is stored, and
    // every other active version of its url, retired.
    private static async Task<IReadOnlyList<(Resource Definition, string Id)>> PlanAsync(IWriteSession session, Resource definition, string url, string version)
    {
        var type = definition.TypeName;
        var writes = new List<(Resource Definition, string Id)>();
        var stored = await session.FindAsync(new SearchQuery(type)
            .Where(new TokenCondition("url", null, url))
            .Where(new TokenCondition("version", null, version)), 2);
        if (stored.Count == 0)
        {
            // The fixed id may belong to another definition (say, one published under a different canonical base).
            var id = await session.GetCurrentAsync(type, definition.Id!) is { IsDeleted: false } ? ResourceTypes.NewId() : definition.Id!;
            writes.Add((definition, id));
        }
        else if (!Same(definition, FhirSerialization.ReadStored(stored[0].Json)))
        {
            throw new InvalidOperationException(
                $"The stored {type} {url}|{version} differs from the one this build publishes. A changed definition needs a new version " +
                $"(WhatMattersQuestionnaire.Version), so that responses keep meaning what they meant when they were given.");
        }

        var active = await session.FindAsync(new SearchQuery(type)
            .Where(new TokenCondition("url", null, url))
            .Where(new TokenCondition("status", null, "active")), 100);
        foreach (var match in active)
        {
            var older = FhirSerialization.ReadStored(match.Json);
            if (Canonical(older).Version != version)
            {
                SetStatus(older, PublicationStatus.Retired);
                writes.Add((older, match.Id));
            }
        }

        return writes;
    }

    private static bool Same(Resource built, Resource stored)
    {
        stored.Id = built.Id;
        stored.Meta!.VersionId = null;
        stored.Meta.LastUpdated = null;
        return FhirSerialization.ToJsonBytes(built).AsSpan().SequenceEqual(FhirSerialization.ToJsonBytes(stored));
    }

    private static (string? Url, string? Version) Canonical(Resource resource) => resource switch
    {
        Questionnaire q => (q.Url, q.Version),
        CodeSystem c => (c.Url, c.Version),
        ValueSet v => (v.Url, v.Version),
        OperationDefinition o => (o.Url, o.Version),
        Measure m => (m.Url, m.Version),
        _ => throw new ArgumentException($"{resource.TypeName} is not a definition the service publishes."),
    };

    private static void SetStatus(Resource resource, PublicationStatus status)
    {
        switch (resource)
        {
            case Questionnaire q: q.Status = status; break;
            case CodeSystem c: c.Status = status; break;
            case ValueSet v: v.Status = status; break;
            case OperationDefinition o: o.Status = status; break;
            case Measure m: m.Status = status; break;
        }
    }
}
