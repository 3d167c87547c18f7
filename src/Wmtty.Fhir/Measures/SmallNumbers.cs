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
    public static (int? Total, int?[] Cells) Breakdown(long total, IReadOnlyList<long> cells) =>
        Breakdown(total, cells, hideTotal: false, new bool[cells.Count], [[.. Enumerable.Range(0, cells.Count)]]);

    /// <summary>
    /// A breakdown as published, where more is known than that the cells add up to the total: cells hidden for another
    /// reason (<paramref name="hide"/>, such as a share's small complement), and <paramref name="groups"/> of cells whose
    /// sum can be worked out from what is published elsewhere (the cells that make up another figure). Within each group,
    /// no cell is ever hidden alone: the smallest other non-zero cell of the group is hidden with it, until no group has
    /// just one hidden.
    /// </summary>
    public static (int? Total, int?[] Cells) Breakdown(long total, IReadOnlyList<long> cells, bool hideTotal, IReadOnlyList<bool> hide, IReadOnlyList<IReadOnlyList<int>> groups)
    {
        var published = cells.Select((c, i) => hide[i] ? null : Publish(c)).ToArray();
        bool changed;
        do
        {
            changed = false;
            foreach (var group in groups)
            {
                var hidden = group.Where(i => published[i] is null).ToList();
                if (hidden.Count != 1)
                {
                    continue;
                }

                var next = group.Where(i => i != hidden[0] && published[i] is not null && cells[i] > 0)
                    .OrderBy(i => cells[i]).ThenBy(i => i).Cast<int?>().FirstOrDefault();
                if (next is { } secondary)
                {
                    published[secondary] = null;
                    changed = true;
                }
            }
        }
        while (changed);

        return (hideTotal ? null : Publish(total), published);
    }

    /// <summary>
    /// Whether a share's numerator must be hidden because the people it leaves out are a small number: a denominator less
    /// its numerator from 1 to 7 would tell about those few (30 of 33 need an interpreter: the 3 who do not).
    /// </summary>
    public static bool SmallComplement(long numerator, long denominator) => denominator - numerator is >= 1 and <= Largest;

    /// <summary>A share of two published counts, from the rounded figures (so it reveals nothing they do not); null when either is hidden or the denominator is 0.</summary>
    public static decimal? Share(int? numerator, int? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? Math.Round((decimal)n / d, 4) : null;
}
