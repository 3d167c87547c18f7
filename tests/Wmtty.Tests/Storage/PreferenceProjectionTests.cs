using System.Text;
using Wmtty.Data.Preferences;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The one-row projection's encoding: rows are deflated (format 2), rows written by earlier builds (format 1) still
/// read, and anything else reads as null, so that $lastn answers from the join instead.
/// </summary>
public sealed class PreferenceProjectionTests
{
    private static List<PreferenceStore.PreferenceRow> Rows() =>
    [
        .. Enumerable.Range(0, 14).Select(i => new PreferenceStore.PreferenceRow
        {
            ResourceKey = 1000 + i,
            OriginKey = 900 + i,
            Id = $"0198a7c2-0000-7000-8000-{i:D12}",
            Version = 1 + i % 3,
            LastUpdated = 1_764_000_000_000 + i,
            CodeSystem = "https://wmtty.example.org/fhir/CodeSystem/wmtty-preferences",
            Code = $"code-{i}",
            Position = i,
            Json = Encoding.UTF8.GetBytes($$$"""{"resourceType":"Observation","id":"0198a7c2-0000-7000-8000-{{{i:D12}}}","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"social-history"}]}],"code":{"coding":[{"system":"https://wmtty.example.org/fhir/CodeSystem/wmtty-preferences","code":"code-{{{i}}}","display":"Ÿ preference {{{i}}}"}]},"subject":{"reference":"Patient/p1"}}"""),
        }),
    ];

    private static void AssertSame(List<PreferenceStore.PreferenceRow> expected, List<PreferenceStore.PreferenceRow>? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal((e.ResourceKey, e.OriginKey, e.Id, e.Version, e.LastUpdated, e.CodeSystem, e.Code, e.Position), (a.ResourceKey, a.OriginKey, a.Id, a.Version, a.LastUpdated, a.CodeSystem, a.Code, a.Position));
            Assert.Equal(e.Json, a.Json);
        }
    }

    // Format 1, as builds before format 2 wrote it.
    internal static byte[] Uncompressed(List<PreferenceStore.PreferenceRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)1);
            writer.Write(rows.Count);
            foreach (var row in rows)
            {
                writer.Write(row.ResourceKey);
                writer.Write(row.OriginKey);
                writer.Write(row.Id);
                writer.Write(row.Version);
                writer.Write(row.LastUpdated);
                writer.Write(row.CodeSystem);
                writer.Write(row.Code);
                writer.Write(row.Position);
                writer.Write(row.Json.Length);
                writer.Write(row.Json);
            }
        }

        return buffer.ToArray();
    }

    [Fact]
    public void RowsAreDeflatedAndReadBackAsTheyWere()
    {
        var rows = Rows();
        var encoded = PreferenceProjection.Encode(rows);

        Assert.Equal(2, encoded[0]);
        Assert.True(encoded.Length * 3 < Uncompressed(rows).Length, $"{encoded.Length} bytes deflated against {Uncompressed(rows).Length}");
        AssertSame(rows, PreferenceProjection.Decode(encoded));
        AssertSame([], PreferenceProjection.Decode(PreferenceProjection.Encode([])));
    }

    [Fact]
    public void ProjectedRowsAreSlicesOfOneBufferUntilDisposed()
    {
        var rows = Rows();
        foreach (var encoded in new[] { PreferenceProjection.Encode(rows), Uncompressed(rows) })
        {
            var projected = PreferenceProjection.Project(encoded);
            Assert.NotNull(projected);
            Assert.Equal(rows.Count, projected.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                Assert.Equal(rows[i].Id, projected.IdAt(i));
                Assert.Equal(rows[i].Json, projected.JsonAt(i).ToArray());
            }

            projected.Dispose();
            Assert.Throws<ObjectDisposedException>(() => projected.JsonAt(0).Length);
            projected.Dispose(); // twice gives nothing back twice
        }

        using var none = PreferenceProjection.Project(PreferenceProjection.Encode([]));
        Assert.Equal(0, none!.Count);
    }

    [Fact]
    public void RowsTheJoinReadAreProjectedTheSameWay()
    {
        var rows = Rows();
        using var projected = ProjectedPreferences.Of(rows);
        Assert.Equal(rows.Count, projected.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Id, projected.IdAt(i));
            Assert.Equal(rows[i].Json, projected.JsonAt(i).ToArray());
        }

        using var none = ProjectedPreferences.Of([]);
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public void RowsEarlierBuildsWroteUncompressedAreStillRead()
    {
        var rows = Rows();
        AssertSame(rows, PreferenceProjection.Decode(Uncompressed(rows)));
    }

    [Fact]
    public void ABrokenOrUnknownValueReadsAsNullSoTheJoinAnswers()
    {
        var encoded = PreferenceProjection.Encode(Rows());
        var uncompressed = Uncompressed(Rows());

        Assert.Null(PreferenceProjection.Decode([]));
        Assert.Null(PreferenceProjection.Decode([3, .. encoded.AsSpan(1)])); // a format this build does not know
        Assert.Null(PreferenceProjection.Decode(encoded[..^8])); // cut short
        Assert.Null(PreferenceProjection.Decode(uncompressed[..^1]));
        Assert.Null(PreferenceProjection.Decode([.. uncompressed, 0])); // longer than its rows
        var wrongLength = (byte[])encoded.Clone();
        wrongLength[1] ^= 0x40; // the inflated length no longer matches
        Assert.Null(PreferenceProjection.Decode(wrongLength));
        var negative = (byte[])encoded.Clone();
        negative[4] = 0x80;
        Assert.Null(PreferenceProjection.Decode(negative));
        var garbled = (byte[])encoded.Clone();
        for (var i = 5; i < garbled.Length; i += 7)
        {
            garbled[i] ^= 0x5A;
        }

        Assert.Null(PreferenceProjection.Decode(garbled));
        Assert.Null(PreferenceProjection.Project(garbled));
        Assert.Null(PreferenceProjection.Project(encoded[..^8]));
        var tooLong = Uncompressed([Rows()[0]]);
        tooLong[^(Rows()[0].Json.Length + 1)] = 0x7F; // the JSON's length (its high byte) past the end
        Assert.Null(PreferenceProjection.Project(tooLong));
    }
}
