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

    private static FigureResult Figure(string id, MonthCounts month) =>
        FigureCalculator.Calculate(OutcomeFigures.All.Single(f => f.Id == id), [month], new Dictionary<string, IReadOnlyList<string>>());

    private static List<SetCount> Sets(params (int Recency, long Patients)[] sets) =>
        [.. sets.Select(s => new SetCount(s.Recency, "en", "patient", null, null, s.Patients))];

    [Fact]
    public void ANeedAnswerIsNeverHiddenAloneAmongTheNeedsThatMakeUpThePublishedNumerator()
    {
        // Reviewer's case: woman 5, man 40, prefer not to say 30. Secondary suppression over all answers hid "prefer not to
        // say" beside "woman", and the numerator (45) less "man" (40) gave the 5 away. The needs are a group of their own.
        var month = new MonthCounts("2026-08", Sets((0, 75)),
        [
            new NeedCount("clinician-gender", "female", "en", null, null, 5), new NeedCount("clinician-gender", "male", "en", null, null, 40),
            new NeedCount("clinician-gender", "prefer-not-to-say", "en", null, null, 30), new NeedCount("clinician-gender", null, "en", null, null, 45),
        ]);
        var result = Figure("wmtty-clinician-gender", month);
        var answers = result.Strata("2026-08", OutcomeFigures.Answer).ToDictionary(c => c.Stratum, c => c.Numerator);

        Assert.Equal(45, result.Total("2026-08").Numerator);
        Assert.Null(answers["female"]);
        Assert.Null(answers["male"]); // so 45 less the published need answers leaves two unknowns
    }

    [Fact]
    public void ARecencyBandHiddenAloneCannotBeWorkedOutFromTheTwelveMonthFigure()
    {
        // 5 within 3 months, 40 from 3 to 12, 30 over 12: wmtty-updated-12-months publishes 45, the first two together.
        var month = new MonthCounts("2026-08", Sets((0, 5), (1, 40), (2, 30)), []);
        var bands = Figure("wmtty-recorded", month).Strata("2026-08", OutcomeFigures.Recency).Select(c => c.Numerator).ToList();
        Assert.Equal(45, Figure("wmtty-updated-12-months", month).Total("2026-08").Numerator);

        Assert.Null(bands[0]);
        Assert.Null(bands[1]); // not 40, or 45 less 40 would give the 5
    }

    [Fact]
    public void AShareWhoseLeftOutPatientsAreFewHidesItsNumerator()
    {
        // 33 recorded, 30 updated within 12 months: 33 less 30 would give the 3 not updated, hidden in wmtty-recorded.
        var month = new MonthCounts("2026-08", Sets((0, 30), (2, 3)), []);

        var total = Figure("wmtty-updated-12-months", month).Total("2026-08");
        Assert.Null(total.Numerator);
        Assert.Equal(35, total.Denominator);
        Assert.Null(total.Share);
        Assert.True(SmallNumbers.SmallComplement(30, 33));
        Assert.False(SmallNumbers.SmallComplement(25, 33));
        Assert.False(SmallNumbers.SmallComplement(33, 33)); // everyone: nobody left out to tell about
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
