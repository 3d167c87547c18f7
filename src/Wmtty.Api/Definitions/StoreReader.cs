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
