namespace Wmtty.Api.Search;

/// <summary>
/// A page holds at most its count of entries and about <see cref="MaxBytes"/> of resource JSON, but
/// always at least one entry. Resources may each be up to 1 MB, and a page of 200 of those, rendered
/// as XML or pretty JSON, would take gigabytes; the next link carries on where the page stopped.
/// </summary>
internal static class PageLimits
{
    public const int MaxBytes = 4 * 1024 * 1024;

    public static IReadOnlyList<T> Take<T>(IReadOnlyList<T> rows, int count, Func<T, int> size)
    {
        var bytes = 0L;
        var taken = 0;
        while (taken < rows.Count && taken < count && (taken == 0 || bytes + size(rows[taken]) <= MaxBytes))
        {
            bytes += size(rows[taken]);
            taken++;
        }

        return taken == rows.Count ? rows : rows.Take(taken).ToList();
    }
}
