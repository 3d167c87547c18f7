using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// Every stored row but the audit trail's, read straight from a test's SQLite file: what a refused request must leave
/// exactly as it was. The audit tables are left out because they record the refusals.
/// </summary>
public static class StoredRows
{
    /// <summary>Every row as one text, table by table, so that an assertion of equality shows what changed.</summary>
    public static string Text(string databasePath)
    {
        using var connection = Open(databasePath);
        var text = new StringBuilder();
        Read(connection, table => text.Append(table).Append('\n'), row => text.Append(row).Append('\n'));
        return text.ToString();
    }

    /// <summary>
    /// Each table's row count and a SHA-256 of the same text as <see cref="Text"/>: cheaper to keep when a test compares
    /// hundreds of times, and still naming the tables that changed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Digests(SqliteConnection connection)
    {
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string? current = null;
        var rows = 0;
        void Finish()
        {
            if (current is not null)
            {
                digests[current] = $"{rows} rows, SHA-256 {Convert.ToHexString(hash.GetHashAndReset())[..16]}";
            }
        }

        Read(connection, table => { Finish(); (current, rows) = (table, 0); }, row =>
        {
            hash.AppendData(Encoding.UTF8.GetBytes(row.Append('\n').ToString()));
            rows++;
        });
        Finish();
        return digests;
    }

    /// <summary>The tables whose digests differ, with both, or an empty text when none does.</summary>
    public static string Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        string.Join("; ", before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(t => before.GetValueOrDefault(t) != after.GetValueOrDefault(t))
            .Select(t => $"{t}: {before.GetValueOrDefault(t) ?? "absent"} -> {after.GetValueOrDefault(t) ?? "absent"}"));

    /// <summary>A read-only connection to a test's database, outside the service's pool.</summary>
    public static SqliteConnection Open(string databasePath)
    {
        var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    // Each table's name, then each of its rows as text (reused from row to row).
    private static void Read(SqliteConnection connection, Action<string> table, Action<StringBuilder> row)
    {
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'audit%' AND name NOT LIKE 'sqlite%' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (var name in tables)
        {
            table(name);
            using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{name}\"";
            using var reader = rows.ExecuteReader();
            while (reader.Read())
            {
                text.Clear();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    text.Append(value is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture)).Append('|');
                }

                row(text);
            }
        }
    }
}

/// <summary>
/// The <see cref="StoredRows.Digests"/> of one database, read again only when something has committed to it since they
/// were last read: SQLite's <c>data_version</c> changes with every commit made through another connection. For a test
/// that compares before and after each of hundreds of requests, most of which commit nothing.
/// </summary>
public sealed class StoredRowsWatch(string databasePath) : IDisposable
{
    private readonly SqliteConnection connection = StoredRows.Open(databasePath);
    private long version = -1;
    private IReadOnlyDictionary<string, string> digests = new Dictionary<string, string>();

    /// <summary>How many times the rows were read, not taken from the last reading.</summary>
    public int Readings { get; private set; }

    public IReadOnlyDictionary<string, string> Digests()
    {
        while (true)
        {
            var now = DataVersion();
            if (now == version)
            {
                return digests;
            }

            // Kept only if nothing committed while they were read, so that they are the rows of that version.
            var read = StoredRows.Digests(connection);
            Readings++;
            if (DataVersion() == now)
            {
                (version, digests) = (now, read);
                return read;
            }
        }
    }

    public void Dispose() => connection.Dispose();

    private long DataVersion()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return (long)command.ExecuteScalar()!;
    }
}
