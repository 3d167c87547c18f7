using System.Data.Common;
using Dapper;

namespace Wmtty.Data.Storage;

/// <summary>Inserts many rows of one table in as few statements as the dialect allows, instead of one round trip a row.</summary>
internal static class RowBatches
{
    public static async Task InsertAsync<T>(
        SqlDialect dialect, DbConnection connection, DbTransaction transaction, RowTable table, IReadOnlyList<T> rows, Func<T, object?[]> values)
    {
        var size = dialect.RowsPerInsert(table.Columns.Count);
        for (var start = 0; start < rows.Count; start += size)
        {
            var count = Math.Min(size, rows.Count - start);
            var parameters = new DynamicParameters();
            for (var row = 0; row < count; row++)
            {
                var rowValues = values(rows[start + row]);
                if (rowValues.Length != table.Columns.Count)
                {
                    throw new ArgumentException($"A {table.Name} row has {table.Columns.Count} columns, not {rowValues.Length}.", nameof(values));
                }

                for (var column = 0; column < rowValues.Length; column++)
                {
                    parameters.Add(SqlDialect.RowParameter(row, column), rowValues[column]);
                }
            }

            await connection.ExecuteAsync(dialect.InsertRowsSql(table, count), parameters, transaction);
        }
    }
}
