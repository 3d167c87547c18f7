using Wmtty.Data.Preferences;

namespace Wmtty.Tests.Storage;

/// <summary>The outcome figures' counts (Measures/MeasureStore), on every database: each patient once, with their latest set as at the moment asked.</summary>
public abstract partial class StoreContract
{
    private static readonly DateTimeOffset January10 = new(2026, 1, 10, 9, 0, 0, TimeSpan.Zero);

    private Task SetAsync(string response, string patient, DateTimeOffset authored, SetFacts facts) =>
        Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.SetAsync(new ResponsePreferences(response, patient, authored, [new PreferenceEntry($"{response}-o", null, "diet", 1)], facts));
            return 0;
        }, default);

    private async Task SeedMeasuresAsync()
    {
        await SetAsync("m-r1", "m-p1", January10, new SetFacts("pl", "connector", "Y00001", "LU1",
            [new("diet", "halal", true), new("diet", "nut-free", true), new("written-format", "none", false)]));
        await SetAsync("m-r2", "m-p1", new DateTimeOffset(2026, 3, 5, 9, 0, 0, TimeSpan.Zero), new SetFacts("en", "patient", "Y00001", "LU1", [new("diet", "none", false)]));
        await SetAsync("m-r3", "m-p2", new DateTimeOffset(2026, 2, 1, 9, 0, 0, TimeSpan.Zero), new SetFacts("pl", "family", null, null, [new("interpreter-language", "203901000000102", true)]));
        await SetAsync("m-r4", "m-p3", new DateTimeOffset(2026, 1, 20, 9, 0, 0, TimeSpan.Zero), new SetFacts("ro", "patient", null, null, [new("diet", "vegan", true)]));
        await SetAsync("m-r5", "m-p4", new DateTimeOffset(2025, 1, 15, 9, 0, 0, TimeSpan.Zero), new SetFacts("ur", null, null, null, []));
        await Store.WriteAsync(async (session, _) =>
        {
            await session.Preferences.RemoveAsync("m-r4"); // entered in error: no longer a set, so never counted
            return 0;
        }, default);
    }

    [SkippableFact]
    public async Task MeasureCountsTakeEachPatientsLatestSetAsAtTheMoment()
    {
        await SeedMeasuresAsync();

        var january = await Database.Measures.CountAsync(new DateTimeOffset(2026, 1, 31, 23, 59, 59, TimeSpan.Zero), default);
        Assert.Equal(["0 pl connector Y00001 LU1 1", "2 ur - - - 1"], january.Sets.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(["diet * pl Y00001 LU1 1", "diet halal pl Y00001 LU1 1", "diet nut-free pl Y00001 LU1 1", "written-format none pl Y00001 LU1 1"],
            january.Needs.Select(Describe).Order(StringComparer.Ordinal)); // two diets, one patient with a diet

        var march = await Database.Measures.CountAsync(new DateTimeOffset(2026, 3, 31, 23, 59, 59, TimeSpan.Zero), default);
        Assert.Equal(["0 en patient Y00001 LU1 1", "0 pl family - - 1", "2 ur - - - 1"], march.Sets.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(["diet none en Y00001 LU1 1", "interpreter-language * pl - - 1", "interpreter-language 203901000000102 pl - - 1"],
            march.Needs.Select(Describe).Order(StringComparer.Ordinal));

        // Recency is measured back from the moment: the set of 5 March is 3 to 12 months old by the end of June.
        var june = await Database.Measures.CountAsync(new DateTimeOffset(2026, 6, 30, 23, 59, 59, TimeSpan.Zero), default);
        Assert.Equal(["1 en patient Y00001 LU1 1", "1 pl family - - 1", "2 ur - - - 1"], june.Sets.Select(Describe).Order(StringComparer.Ordinal));

        var before = await Database.Measures.CountAsync(new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero), default);
        Assert.Empty(before.Sets);
        Assert.Empty(before.Needs);
    }

    [SkippableFact]
    public async Task MeasureCountsForSeveralMomentsInOneReadEqualEachMomentCountedAlone()
    {
        await SeedMeasuresAsync();
        DateTimeOffset[] moments =
        [
            new(2026, 6, 30, 23, 59, 59, TimeSpan.Zero), new(2024, 12, 31, 0, 0, 0, TimeSpan.Zero),
            new(2026, 1, 31, 23, 59, 59, TimeSpan.Zero), new(2026, 3, 31, 23, 59, 59, TimeSpan.Zero),
        ]; // out of order: each moment's counts are its own

        var together = await Database.Measures.CountAsync(moments, default);

        Assert.Equal(moments.Length, together.Count);
        for (var i = 0; i < moments.Length; i++)
        {
            var alone = await Database.Measures.CountAsync(moments[i], default);
            Assert.Equal(alone.Sets.Select(Describe).Order(StringComparer.Ordinal), together[i].Sets.Select(Describe).Order(StringComparer.Ordinal));
            Assert.Equal(alone.Needs.Select(Describe).Order(StringComparer.Ordinal), together[i].Needs.Select(Describe).Order(StringComparer.Ordinal));
        }

        Assert.Equal(3, together[0].Sets.Sum(s => s.Patients));
        Assert.Empty(together[1].Sets);
    }

    [SkippableFact]
    public async Task ErasingAPatientTakesTheirMeasureFactsWithTheirSets()
    {
        await SeedMeasuresAsync();

        await Store.WriteAsync((session, _) => session.EraseCompartmentAsync("m-p1", []), default);

        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM preference_need WHERE set_key NOT IN (SELECT set_key FROM preference_response)"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM preference_response WHERE patient_id = 'm-p1'"));
        var march = await Database.Measures.CountAsync(new DateTimeOffset(2026, 3, 31, 23, 59, 59, TimeSpan.Zero), default);
        Assert.Equal(2, march.Sets.Sum(s => s.Patients));
        Assert.DoesNotContain(march.Needs, n => n.Need == "diet");
    }

    private static string Describe(Wmtty.Data.Measures.SetCountRow s) =>
        $"{s.Recency} {s.Language ?? "-"} {s.CompletedBy ?? "-"} {s.Practice ?? "-"} {s.District ?? "-"} {s.Patients}";

    private static string Describe(Wmtty.Data.Measures.NeedCountRow n) =>
        $"{n.Need} {n.Answer ?? "*"} {n.Language ?? "-"} {n.Practice ?? "-"} {n.District ?? "-"} {n.Patients}";
}
