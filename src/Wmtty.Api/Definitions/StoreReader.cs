using System.Collections.Concurrent;
using System.Globalization;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Definitions;

/// <summary>
/// Reads current resources either inside a write transaction (so what is read cannot change before it
/// commits) or straight from the store: the checks on a response run the same way in both.
/// </summary>
internal sealed record StoreReader(Func<SearchQuery, int, Task<IReadOnlyList<SearchMatch>>> Find, Func<string, string, Task<bool>> Exists)
{
    public static StoreReader In(IWriteSession session) => new(
        session.FindAsync,
        async (type, id) => await session.GetCurrentAsync(type, id) is { IsDeleted: false });

    public static StoreReader In(IResourceStore store, CancellationToken cancellationToken) => new(
        (query, limit) => store.SearchAsync(query, limit, cancellationToken),
        async (type, id) => await store.ReadAsync(type, id, cancellationToken) is { IsDeleted: false });
}

/// <summary>
/// What a write read from the store before its transaction began, so that its slow part (checking a response,
/// extracting, serializing and indexing) can run before it takes its turn at the database's single writer. Inside
/// the transaction, <see cref="StillHoldsAsync"/> asks again by index alone: the same resources, at the same
/// versions. If anything changed meanwhile, the write does that part again inside, as it would have without this.
/// </summary>
internal sealed class ReadSet
{
    private readonly List<(SearchQuery Query, int Limit, (string Id, int Version)[] Seen)> finds = [];
    private readonly List<(string Type, string Id, bool Existed)> exists = [];

    /// <param name="recent">
    /// Recent answers to which version of a definition a canonical names, used instead of asking the store; given, every
    /// resource asked about is also taken to exist without asking. Either way <see cref="StillHoldsAsync"/> asks inside the
    /// transaction, and a write whose patient is not there is prepared again inside, where it is refused as before.
    /// </param>
    public StoreReader Reader(IResourceStore store, CancellationToken cancellationToken, RecentDefinitions? recent = null) => new(
        async (query, limit) =>
        {
            var key = recent is null ? null : RecentDefinitions.KeyOf(query, limit);
            if (key is null || !recent!.TryGet(key, out var found))
            {
                found = await store.SearchAsync(query, limit, cancellationToken);
                if (key is not null)
                {
                    recent!.Set(key, found);
                }
            }

            lock (finds)
            {
                finds.Add((query, limit, [.. found.Select(m => (m.Id, m.Version))]));
            }

            return found;
        },
        async (type, id) =>
        {
            // With recent answers, ahead of a write: a resource it names (the patient) is taken to be there, and the transaction checks.
            var existed = recent is not null || await store.SearchAsync(new SearchQuery(type) { IncludeJson = false }.Where(new IdCondition(id)), 1, cancellationToken) is [_];
            lock (exists)
            {
                exists.Add((type, id, existed));
            }

            return existed;
        });

    /// <summary>Whether every search would find the same resources at the same versions, and every resource is still there or still not.</summary>
    public async Task<bool> StillHoldsAsync(IWriteSession session)
    {
        foreach (var (type, id, existed) in exists)
        {
            var live = await session.FindVersionsAsync(new SearchQuery(type).Where(new IdCondition(id)), 1);
            if (live.Count > 0 != existed)
            {
                return false;
            }
        }

        foreach (var (query, limit, seen) in finds)
        {
            var found = await session.FindVersionsAsync(query, limit);
            if (!found.Order(StringComparer.Ordinal).SequenceEqual(seen.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Id}/{m.Version}")).Order(StringComparer.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Which stored version of a Questionnaire, ValueSet or CodeSystem a search by canonical found lately (without the JSON),
/// for preparing writes ahead (<see cref="ReadSet"/>): every submission asks the same few. An answer that has gone stale
/// costs nothing but a preparation done again inside the transaction, because the transaction asks again, by index, for
/// everything the preparation used; the writer then forgets every answer (<see cref="Clear"/>). Answers are also
/// forgotten after a few seconds, and never hold patient data.
/// </summary>
internal sealed class RecentDefinitions
{
    private const int MaxAnswers = 256;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (IReadOnlyList<SearchMatch> Found, long Until)> answers = new(StringComparer.Ordinal);

    /// <summary>The key of a search this keeps answers to: a definition's versions by canonical (or any index value), without JSON; null for any other.</summary>
    public static string? KeyOf(SearchQuery query, int limit)
    {
        if (query.IncludeJson || query.ResourceType is not (ResourceTypes.Questionnaire or ResourceTypes.ValueSet or ResourceTypes.CodeSystem)
            || query.After is not null || query.Compartment is not null || query.Withholding is not null || query.HideWhereWithheld is not null)
        {
            return null;
        }

        // Conditions are records: their text names every value.
        return string.Join("\u001f", [query.ResourceType, limit.ToString(CultureInfo.InvariantCulture), query.Sort.ToString(),
            .. query.Clauses.Select(anyOf => string.Join("\u001e", anyOf.Select(condition => condition.ToString())))]);
    }

    public bool TryGet(string key, out IReadOnlyList<SearchMatch> found)
    {
        if (answers.TryGetValue(key, out var answer) && Environment.TickCount64 < answer.Until)
        {
            found = answer.Found;
            return true;
        }

        found = [];
        return false;
    }

    public void Set(string key, IReadOnlyList<SearchMatch> found)
    {
        if (answers.Count >= MaxAnswers)
        {
            answers.Clear();
        }

        answers[key] = (found, Environment.TickCount64 + (long)Lifetime.TotalMilliseconds);
    }

    public void Clear() => answers.Clear();
}
