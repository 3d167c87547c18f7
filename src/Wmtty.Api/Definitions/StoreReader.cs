using System.Globalization;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;

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

    public StoreReader Reader(IResourceStore store, CancellationToken cancellationToken) => new(
        async (query, limit) =>
        {
            var found = await store.SearchAsync(query, limit, cancellationToken);
            lock (finds)
            {
                finds.Add((query, limit, [.. found.Select(m => (m.Id, m.Version))]));
            }

            return found;
        },
        async (type, id) =>
        {
            var existed = await store.ReadAsync(type, id, cancellationToken) is { IsDeleted: false };
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
