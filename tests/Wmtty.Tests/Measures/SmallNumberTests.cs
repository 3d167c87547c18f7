using Wmtty.Fhir.Measures;

namespace Wmtty.Tests.Measures;

/// <summary>
/// Small-number suppression (<see cref="SmallNumbers"/>): 1 to 7 hidden, the rest rounded to the nearest 5, and no hidden
/// cell recoverable from the published total and the other cells (the differencing trap).
/// </summary>
public sealed class SmallNumberTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(8, 10)]
    [InlineData(10, 10)]
    [InlineData(12, 10)]
    [InlineData(13, 15)]
    [InlineData(17, 15)]
    [InlineData(18, 20)]
    [InlineData(1234, 1235)]
    public void CountsOutsideOneToSevenAreRoundedToTheNearestFive(long count, int published) =>
        Assert.Equal(published, SmallNumbers.Publish(count));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void CountsFromOneToSevenAreSuppressed(long count) => Assert.Null(SmallNumbers.Publish(count));

    [Fact]
    public void OneSuppressedCellHidesTheSmallestOtherNonZeroCellToo()
    {
        // README's worked example: 20 Polish, 9 English, 3 Urdu, 0 Somali; 32 in all.
        var (total, cells) = SmallNumbers.Breakdown(32, [20, 9, 3, 0]);

        Assert.Equal(30, total);
        Assert.Equal([20, null, null, 0], cells);
    }

    [Fact]
    public void WithoutTheSecondCellTheTotalWouldNarrowTheSuppressedOne()
    {
        // The trap: 10 and 2 make 12. Published alone, the total (10) less the other cell (10) says the hidden one is at most 4.
        Assert.Equal(4, Feasible([10, null], total: 10).Max());

        var (total, cells) = SmallNumbers.Breakdown(12, [10, 2]);
        Assert.Equal([null, null], cells);
        Assert.Equal(Enumerable.Range(1, 7), Feasible(cells, total).Where(v => v <= 7));
    }

    [Fact]
    public void TwoSuppressedCellsNeedNoThird()
    {
        var (_, cells) = SmallNumbers.Breakdown(40, [30, 4, 6]);
        Assert.Equal([30, null, null], cells);
    }

    [Fact]
    public void ASuppressedTotalHidesEveryNonZeroCell()
    {
        var (total, cells) = SmallNumbers.Breakdown(6, [4, 2, 0]);
        Assert.Null(total);
        Assert.Equal([null, null, 0], cells);
    }

    [Fact]
    public void SharesComeFromTheRoundedCountsAndNeverFromAHiddenOne()
    {
        Assert.Equal(0.5714m, SmallNumbers.Share(20, 35));
        Assert.Null(SmallNumbers.Share(null, 35));
        Assert.Null(SmallNumbers.Share(5, 0));
    }

    /// <summary>
    /// Every breakdown of three cells from 0 to 12 that adds up to its total: whenever a cell is hidden under a published
    /// total, at least two are, and an attacker who knows the rule, the published total and the published cells can never pin a hidden cell to
    /// one value, nor tell which value from 1 to 7 a hidden cell has when the hidden cells could be that small.
    /// </summary>
    [Fact]
    public void NoHiddenCellCanBeWorkedOutFromTheTotalAndTheOtherCells()
    {
        for (var a = 0; a <= 12; a++)
        {
            for (var b = 0; b <= 12; b++)
            {
                for (var c = 0; c <= 12; c++)
                {
                    var (total, cells) = SmallNumbers.Breakdown(a + b + c, [a, b, c]);
                    var hidden = cells.Count(x => x is null);
                    Assert.True(hidden != 1 || total is null, $"{a},{b},{c}: one cell hidden under a published total");
                    for (var i = 0; i < 3; i++)
                    {
                        if (cells[i] is null)
                        {
                            var feasible = Feasible(cells, total, i);
                            Assert.True(feasible.Count >= 2, $"{a},{b},{c}: cell {i} can only be {string.Join(",", feasible)}");
                            Assert.Contains(new[] { a, b, c }[i], feasible);
                        }
                    }
                }
            }
        }
    }

    // Every value cell `of` can take, given what is published: a published count p is a true count rounding to p (0 is
    // exactly 0); a hidden count is at least 1; the cells add up to a total that publishes as `total`.
    private static List<int> Feasible(IReadOnlyList<int?> cells, int? total, int of = -1)
    {
        of = of < 0 ? cells.ToList().FindIndex(c => c is null) : of;
        var ranges = cells.Select(Candidates).ToList();
        var found = new SortedSet<int>();
        void Walk(int index, int sum, int mine)
        {
            if (index == cells.Count)
            {
                if (SmallNumbers.Publish(sum) == total && (total is not null || sum > 0))
                {
                    found.Add(mine);
                }

                return;
            }

            foreach (var value in ranges[index])
            {
                Walk(index + 1, sum + value, index == of ? value : mine);
            }
        }

        Walk(0, 0, -1);
        return [.. found];
    }

    private static IEnumerable<int> Candidates(int? published) => published switch
    {
        null => Enumerable.Range(1, 30),
        0 => [0],
        { } p => Enumerable.Range(p - 2, 5).Where(v => SmallNumbers.Publish(v) == p),
    };
}
