using System.Globalization;
using Wmtty.Data.Search;

namespace Wmtty.Api.Search;

/// <summary>
/// The opaque <c>_cursor</c> of a next link: where the page ended, in the page's sort order. Keyset
/// paging needs no server-side state, so a link keeps working for as long as anyone holds it.
/// </summary>
internal static class SearchCursors
{
    public const string Parameter = "_cursor";

    public static string Format(SearchSort sort, SearchCursor cursor) => sort == SearchSort.Key
        ? string.Create(CultureInfo.InvariantCulture, $"k{cursor.Key}")
        : string.Create(CultureInfo.InvariantCulture, $"u{cursor.LastUpdated}.{cursor.Key}");

    public static bool TryParse(string value, SearchSort sort, out SearchCursor cursor)
    {
        cursor = default;
        if (sort == SearchSort.Key)
        {
            if (value.StartsWith('k') && long.TryParse(value.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var key))
            {
                cursor = new SearchCursor(0, key);
                return true;
            }

            return false;
        }

        var dot = value.IndexOf('.');
        if (value.StartsWith('u') && dot > 1
            && long.TryParse(value.AsSpan(1, dot - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var updated)
            && long.TryParse(value.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var lastKey))
        {
            cursor = new SearchCursor(updated, lastKey);
            return true;
        }

        return false;
    }
}
