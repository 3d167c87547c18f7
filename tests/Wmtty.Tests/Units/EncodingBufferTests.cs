using System.Text;
using System.Buffers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Wmtty.Api.Fhir;
using Wmtty.Data.Preferences;
using Wmtty.Fhir.Serialization;
using Xunit;

namespace Wmtty.Tests.Units;

/// <summary>The buffers the write path reuses or sizes in advance give the same bytes as fresh ones would.</summary>
public sealed class EncodingBufferTests
{
    private static Patient Named(string text) => new() { Id = "p1", Name = [new HumanName { Family = text, Given = ["Amina"] }] };

    [Fact]
    public void JsonWrittenAfterALargerResourceOnTheSameThreadHasNothingOfItLeft()
    {
        var small = Named("Khan");
        var expected = FhirSerialization.ToJsonBytes(small);
        Assert.Equal("{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"family\":\"Khan\",\"given\":[\"Amina\"]}]}", Encoding.UTF8.GetString(expected));

        foreach (var length in new[] { 40_000, 300_000 }) // one the kept buffer grows to hold, one too big to keep
        {
            var large = FhirSerialization.ToJsonBytes(Named(new string('ب', length)));
            Assert.Equal(length, ((Patient)FhirSerialization.ReadStored(large)).Name[0].Family!.Length);
            Assert.Equal(expected, FhirSerialization.ToJsonBytes(small));
        }

        var fromOtherThreads = Enumerable.Range(0, 8).AsParallel().Select(i => Encoding.UTF8.GetString(FhirSerialization.ToJsonBytes(Named("Khan" + i)))).ToList();
        Assert.All(fromOtherThreads.Select((json, i) => (json, i)), x => Assert.Contains($"\"family\":\"Khan{x.i}\"", x.json, StringComparison.Ordinal));
    }

    [Fact]
    public void APreferenceSetEncodedIntoAnArrayOfTheSizeWorkedOutDecodesToTheSameRows()
    {
        PreferenceStore.PreferenceRow Row(string id, string system, string code, int jsonLength) => new()
        {
            ResourceKey = long.MaxValue, OriginKey = 7, Id = id, Version = 3, LastUpdated = 1_763_900_000_000, CodeSystem = system, Code = code,
            Position = 12, Json = Enumerable.Range(0, jsonLength).Select(i => (byte)i).ToArray(),
        };

        var rows = new List<PreferenceStore.PreferenceRow>
        {
            Row("a", "", "", 0),
            Row(new string('x', 127), "http://example.org/ثقافة", "😀", 20_000), // a length that fits 7 bits
            Row(new string('y', 128), new string('é', 100), "code", 1), // lengths that need two bytes
            Row(new string('z', 20_000), "s", new string('ß', 9_000), 300), // and three
            Row("b", "\uD800", "x\uDC00y", 5), // lone surrogates: counted and written as the same replacement character
        };

        var encoded = PreferenceProjection.Encode(rows);
        var decoded = PreferenceProjection.Decode(encoded)!;
        Assert.Equal(rows.Count, decoded.Count);
        foreach (var (row, back) in rows.Zip(decoded))
        {
            Assert.Equal((row.ResourceKey, row.OriginKey, row.Id, row.Version, row.LastUpdated, Utf8(row.CodeSystem), Utf8(row.Code), row.Position),
                (back.ResourceKey, back.OriginKey, back.Id, back.Version, back.LastUpdated, back.CodeSystem, back.Code, back.Position));
            Assert.Equal(row.Json, back.Json);
        }

        Assert.Empty(PreferenceProjection.Decode(PreferenceProjection.Encode([]))!);
    }

    private static string Utf8(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void JsonWrittenIntoARentedArrayIsExactlyWhatWasWrittenAndTheArrayGoesBackOnce()
    {
        var expected = new ArrayBufferWriter<byte>();
        var pieces = Enumerable.Range(0, 400).Select(i => new string((char)('a' + (i % 26)), 1 + (i * 37 % 500))).ToList();
        using (var writer = new Utf8JsonWriter(expected))
        {
            writer.WriteStartArray();
            pieces.ForEach(writer.WriteStringValue);
            writer.WriteEndArray();
        }

        // Rented arrays hold whatever they held before: the JSON must be only what this writer wrote, across growth.
        var dirty = ArrayPool<byte>.Shared.Rent(256);
        dirty.AsSpan().Fill((byte)'#');
        ArrayPool<byte>.Shared.Return(dirty);
        var pooled = new PooledJson(16);
        using (var writer = new Utf8JsonWriter(pooled))
        {
            writer.WriteStartArray();
            pieces.ForEach(writer.WriteStringValue);
            writer.WriteEndArray();
        }

        Assert.True(expected.WrittenCount > 100_000); // grown many times from 256 bytes
        Assert.Equal(expected.WrittenSpan.ToArray(), pooled.Written.ToArray());
        Assert.Equal(expected.WrittenSpan.ToArray(), pooled.ToArray());

        pooled.Dispose();
        Assert.True(pooled.Written.IsEmpty);
        pooled.Dispose(); // a second Dispose gives nothing back twice
        Assert.Throws<ObjectDisposedException>(() => pooled.GetSpan(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PooledJson(8).Advance(100_000));
    }
}
