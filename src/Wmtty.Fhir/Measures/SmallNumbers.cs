namespace Wmtty.Fhir.Measures;

/// <summary>
/// Small-number suppression as NHS statistical publications apply it: a count from 1 to 7 is not published, and every
/// other count is rounded to the nearest 5 (0 stays 0). Against differencing, a breakdown never hides just one cell: when
/// exactly one is suppressed, the smallest other non-zero cell is suppressed with it, so subtracting the published cells
/// from the published total gives the sum of at least two unknown cells, never one of them. README, "Outcome measures",
/// works an example.
/// </summary>
public static class SmallNumbers
{
    /// <summary>The largest count that is suppressed.</summary>
    public const int Largest = 7;

    /// <summary>Published counts are multiples of this.</summary>
    public const int RoundTo = 5;

    /// <summary>A count as published: null when suppressed, otherwise rounded to the nearest 5.</summary>
    public static int? Publish(long count) => count is >= 1 and <= Largest ? null : Round(count);

    /// <summary>The count rounded to the nearest 5 (an integer is never half way, as 5 is odd).</summary>
    public static int Round(long count) => checked((int)(Math.Round(count / (double)RoundTo, MidpointRounding.AwayFromZero) * RoundTo));

    /// <summary>
    /// A breakdown as published: the total and each cell suppressed and rounded, and, when that hides exactly one cell,
    /// the smallest other non-zero cell hidden too (secondary suppression; the first such cell on a tie).
    /// </summary>
    public static (int? Total, int?[] Cells) Breakdown(long total, IReadOnlyList<long> cells)
    {
        var published = cells.Select(Publish).ToArray();
        var hidden = Enumerable.Range(0, cells.Count).Where(i => published[i] is null).ToList();
        if (hidden.Count == 1)
        {
            var next = Enumerable.Range(0, cells.Count).Where(i => i != hidden[0] && cells[i] > 0)
                .OrderBy(i => cells[i]).ThenBy(i => i).Cast<int?>().FirstOrDefault();
            if (next is { } secondary)
            {
                published[secondary] = null;
            }
        }

        return (Publish(total), published);
    }

    /// <summary>A share of two published counts, from the rounded figures (so it reveals nothing they do not); null when either is hidden or the denominator is 0.</summary>
    public static decimal? Share(int? numerator, int? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? Math.Round((decimal)n / d, 4) : null;
}
