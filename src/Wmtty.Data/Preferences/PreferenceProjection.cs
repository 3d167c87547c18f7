using System.Data.Common;
using Dapper;
using Wmtty.Data.Resources;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Preferences;

/// <summary>
/// The one-row projection of a patient's current preferences (table preference_current): the rows the join in
/// <see cref="SqlDialect.CurrentPreferencesSql"/> gives for them, encoded in one value. $lastn reads one row
/// instead of an index lookup and a row for each Observation: about 14 pages spread over the file, each read again
/// whenever another connection has committed. The row is rewritten in every write transaction that could change
/// the join's answer (<see cref="RefreshAsync"/>), so it always equals the join.
/// </summary>
internal static class PreferenceProjection
{
    // Format 1: the rows as written below. Format 2: the same bytes after the format byte, deflated, after their length.
    // The rows are mostly their Observations' JSON, which deflates about 6 times at the fastest level (15.4 KB to 2.5 KB
    // a patient, measured in the bench): at a million patients the table is a few GB instead of 15 and stays in memory,
    // and a row fits in one page instead of a chain of five (bench/README.md, "Where it stands"). Rows of format 1 are
    // still read, and rewritten deflated in the background (migration 10, PreferenceStore.RewriteOldProjectionsAsync).
    private const byte Uncompressed = 1;
    private const byte Deflated = 2;

    /// <summary>Rewrites the patients' rows from the join, inside the write's transaction; a patient whose join is empty gets no row.</summary>
    public static async Task RefreshAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, IEnumerable<string> patientIds)
    {
        foreach (var patientId in patientIds)
        {
            var rows = (await connection.QueryAsync<PreferenceStore.PreferenceRow>(dialect.CurrentPreferencesSql, new { PatientId = patientId }, transaction)).ToList();
            await connection.ExecuteAsync(dialect.DeletePreferenceCurrentSql, new { PatientId = patientId }, transaction);
            if (rows.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertPreferenceCurrentSql, new { PatientId = patientId, Entries = Encode(rows) }, transaction);
            }
        }
    }

    public static byte[] Encode(IReadOnlyList<PreferenceStore.PreferenceRow> rows)
    {
        var body = EncodeRows(rows);
        using var deflated = new MemoryStream(body.Length / 4 + 64);
        deflated.WriteByte(Deflated);
        Span<byte> length = stackalloc byte[sizeof(int)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, body.Length);
        deflated.Write(length);
        using (var deflate = new System.IO.Compression.DeflateStream(deflated, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(body);
        }

        return deflated.ToArray();
    }

    // Format 1 without its format byte. Written straight into an array of the exact size, not grown and copied: each
    // write of a set encodes about 20 KB.
    private static byte[] EncodeRows(IReadOnlyList<PreferenceStore.PreferenceRow> rows)
    {
        var encoded = new byte[sizeof(int) + rows.Sum(EncodedSize)];
        using var buffer = new MemoryStream(encoded, writable: true);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
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

        return buffer.Position == encoded.Length ? encoded : throw new InvalidOperationException("A preference row's encoded size was miscounted.");
    }

    // What BinaryWriter writes for a row: fixed-size numbers, and each string as its UTF-8 length (7 bits a byte) and bytes.
    private static int EncodedSize(PreferenceStore.PreferenceRow row) =>
        sizeof(long) + sizeof(long) + StringSize(row.Id) + sizeof(long) + sizeof(long) + StringSize(row.CodeSystem) + StringSize(row.Code)
        + sizeof(long) + sizeof(int) + row.Json.Length;

    private static int StringSize(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(value);
        var prefix = 1;
        for (var rest = (uint)bytes >> 7; rest != 0; rest >>= 7)
        {
            prefix++;
        }

        return prefix + bytes;
    }

    /// <summary>Whether the value is in the format this build writes (rows in older formats are rewritten in the background).</summary>
    public static bool IsCurrentFormat(byte[] entries) => entries.Length > 0 && entries[0] == Deflated;

    /// <summary>The rows back; null when the value is not one this build wrote (then the join answers).</summary>
    public static List<PreferenceStore.PreferenceRow>? Decode(byte[] entries)
    {
        using var projected = Project(entries);
        if (projected is null)
        {
            return null;
        }

        var rows = new List<PreferenceStore.PreferenceRow>(projected.Count);
        for (var i = 0; i < projected.Count; i++)
        {
            var row = projected.Rows[i].Row;
            row.Json = projected.JsonAt(i).ToArray();
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// The rows back, each Observation's JSON left where it is in the decoded value (<see cref="ProjectedPreferences"/>);
    /// null when the value is not one this build wrote.
    /// </summary>
    public static ProjectedPreferences? Project(byte[] entries)
    {
        try
        {
            return entries.Length == 0 ? null
                : entries[0] == Uncompressed ? ReadRows(entries, 1, entries.Length - 1, rented: false)
                : entries[0] == Deflated && entries.Length >= 1 + sizeof(int) ? InflateAndRead(entries)
                : null;
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException or ArgumentException or FormatException or InvalidDataException)
        {
            return null;
        }
    }

    // The rows are inflated into a rented array, not a new one: every $lastn inflates about 20 KB, and that array was a
    // sixth of all a $lastn request allocated (bench/README.md, "Where $lastn's allocations go").
    private static ProjectedPreferences? InflateAndRead(byte[] entries)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(entries.AsSpan(1));
        if (length is < 0 or > 64 * 1024 * 1024)
        {
            throw new InvalidDataException("A preference projection's length is out of range.");
        }

        var body = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        ProjectedPreferences? projected = null;
        try
        {
            using (var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(entries, 1 + sizeof(int), entries.Length - 1 - sizeof(int), writable: false), System.IO.Compression.CompressionMode.Decompress))
            {
                inflate.ReadExactly(body, 0, length);
                if (inflate.ReadByte() != -1)
                {
                    throw new InvalidDataException("A preference projection is longer than it says.");
                }
            }

            return projected = ReadRows(body, 0, length, rented: true);
        }
        finally
        {
            if (projected is null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    // The rows' fields, and where each one's JSON lies in the buffer; null when the bytes do not end where the rows do.
    private static ProjectedPreferences? ReadRows(byte[] buffer, int start, int length, bool rented)
    {
        using var reader = new BinaryReader(new MemoryStream(buffer, start, length, writable: false), System.Text.Encoding.UTF8);
        var count = reader.ReadInt32();
        var rows = new List<(PreferenceStore.PreferenceRow Row, int JsonStart, int JsonLength)>(Math.Clamp(count, 0, 1024));
        for (var i = 0; i < count; i++)
        {
            var row = new PreferenceStore.PreferenceRow
            {
                ResourceKey = reader.ReadInt64(),
                OriginKey = reader.ReadInt64(),
                Id = reader.ReadString(),
                Version = reader.ReadInt64(),
                LastUpdated = reader.ReadInt64(),
                CodeSystem = reader.ReadString(),
                Code = reader.ReadString(),
                Position = reader.ReadInt64(),
            };
            var size = reader.ReadInt32();
            var at = reader.BaseStream.Position;
            if (size < 0 || size > length - at)
            {
                return null;
            }

            rows.Add((row, start + (int)at, size));
            reader.BaseStream.Position = at + size;
        }

        return reader.BaseStream.Position == length ? new ProjectedPreferences(buffer, rented, rows) : null;
    }
}

/// <summary>
/// A patient's current preferences as their projection row holds them, decoded once: each Observation's stored JSON
/// is a slice of one buffer, not an array of its own, so a $lastn writes its Bundle without copying them first.
/// Dispose gives the buffer back; nothing read from it may be kept after that.
/// </summary>
public sealed class ProjectedPreferences : IDisposable
{
    private byte[]? buffer;
    private readonly bool rented;

    internal ProjectedPreferences(byte[] buffer, bool rented, List<(PreferenceStore.PreferenceRow Row, int JsonStart, int JsonLength)> rows)
    {
        this.buffer = buffer;
        this.rented = rented;
        Rows = rows;
    }

    internal List<(PreferenceStore.PreferenceRow Row, int JsonStart, int JsonLength)> Rows { get; }

    /// <summary>Rows read by the join, not from a projection row: their JSON put end to end in one array of its own.</summary>
    internal static ProjectedPreferences Of(IReadOnlyList<PreferenceStore.PreferenceRow> rows)
    {
        var buffer = new byte[rows.Sum(r => r.Json.Length)];
        var at = 0;
        var placed = new List<(PreferenceStore.PreferenceRow Row, int JsonStart, int JsonLength)>(rows.Count);
        foreach (var row in rows)
        {
            row.Json.CopyTo(buffer, at);
            placed.Add((row, at, row.Json.Length));
            at += row.Json.Length;
        }

        return new ProjectedPreferences(buffer, rented: false, placed);
    }

    public int Count => Rows.Count;

    /// <summary>The id of the i-th current Observation.</summary>
    public string IdAt(int index) => Rows[index].Row.Id;

    /// <summary>The stored JSON of the i-th current Observation.</summary>
    public ReadOnlySpan<byte> JsonAt(int index)
    {
        var (_, start, length) = Rows[index];
        return (buffer ?? throw new ObjectDisposedException(nameof(ProjectedPreferences))).AsSpan(start, length);
    }

    public void Dispose()
    {
        if (buffer is { } given && rented)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(given);
        }

        buffer = null;
    }
}
