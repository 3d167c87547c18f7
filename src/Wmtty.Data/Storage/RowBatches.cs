using System.Data.Common;
using Dapper;

namespace Wmtty.Data.Storage;

/// <summary>Inserts many rows of one table in as few statements as the dialect allows, instead of one round trip a row.</summary>
internal static class RowBatches
{
    public static async Task InsertAsync<T>(
        SqlDialect dialect, DbConnection connection, DbTransaction transaction, RowTable table, IReadOnlyList<T> rows, Func<T, object?[]> values)
    {
        var rowValues = new List<object?[]>(rows.Count);
        foreach (var row in rows)
        {
            var value = values(row);
            rowValues.Add(value.Length == table.Columns.Count
                ? value
                : throw new ArgumentException($"A {table.Name} row has {table.Columns.Count} columns, not {value.Length}.", nameof(values)));
        }

        if (connection is Sqlite.PreparingConnection writer)
        {
            writer.InsertRows(dialect, table, rowValues); // the group commit's writer: one statement a table, prepared once
            return;
        }

        var size = dialect.RowsPerInsert(table.Columns.Count);
        for (var start = 0; start < rowValues.Count; start += size)
        {
            var count = Math.Min(size, rowValues.Count - start);
            var parameters = new DynamicParameters();
            for (var row = 0; row < count; row++)
            {
                var value = rowValues[start + row];
                for (var column = 0; column < value.Length; column++)
                {
                    parameters.Add(SqlDialect.RowParameter(row, column), value[column]);
                }
            }

            await connection.ExecuteAsync(dialect.InsertRowsSql(table, count), parameters, transaction);
        }
    }
}
