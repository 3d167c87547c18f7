using Microsoft.Data.Sqlite;
using SQLitePCL;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Sqlite;

/// <summary>
/// The group commit's writer connection. It keeps each statement Dapper runs for a row count or a single value (inserts,
/// updates, deletes, <c>RETURNING</c>, counts) prepared, and runs it again with new values. Dapper makes a new command
/// for every call, and SQLite would parse and plan the statement each time. A response stores about a hundred
/// statements, and their preparation took about a quarter of the writer's time (bench/README.md). Queries that return
/// rows still get a command of their own: a prepared one could not be run again while a reader of it is open.
/// </summary>
internal sealed class PreparingConnection(string connectionString) : SqliteConnection(connectionString)
{
    // Batched inserts make one statement text for each row count, so the texts are many but bounded. Past this many,
    // a statement runs once, as on any other connection.
    private const int MaxStatements = 512;
    private readonly Dictionary<string, SqliteCommand> statements = new(StringComparer.Ordinal);
    private readonly Dictionary<RowTable, sqlite3_stmt> rowStatements = [];
    private readonly Dictionary<string, sqlite3_stmt> keyStatements = new(StringComparer.Ordinal);
    private SqliteTransaction? transaction; // the latest begun; done once its Connection is null

    // What Dapper asks for (through IDbConnection). The provider's own commands (the transaction's COMMIT, ROLLBACK
    // and SAVEPOINT) come from CreateCommand, and stay as they are.
    protected override System.Data.Common.DbCommand CreateDbCommand() =>
        new ReusingCommand(this) { CommandTimeout = DefaultTimeout, Transaction = transaction?.Connection is null ? null : transaction };

    public override SqliteTransaction BeginTransaction(System.Data.IsolationLevel isolationLevel, bool deferred) =>
        transaction = base.BeginTransaction(isolationLevel, deferred);

    /// <summary>How many statements are kept prepared now.</summary>
    internal int PreparedCount => statements.Count + rowStatements.Count + keyStatements.Count;

    private static int kept;

    /// <summary>How many statements every writer connection keeps prepared now (a gauge on <see cref="WriterMetrics"/>).</summary>
    internal static int Kept => Volatile.Read(ref kept);

    // The prepared command for the caller's text, holding the caller's parameters and transaction; null when the
    // cache is full. Only the group holding the writer's turn uses the connection, so nothing here is shared.
    private SqliteCommand? Prepared(SqliteCommand caller)
    {
        if (!statements.TryGetValue(caller.CommandText, out var statement))
        {
            if (statements.Count >= MaxStatements)
            {
                return null;
            }

            statement = new SqliteCommand(caller.CommandText, this);
            statements.Add(caller.CommandText, statement);
            Interlocked.Increment(ref kept);
        }

        statement.Transaction = caller.Transaction;
        statement.CommandTimeout = caller.CommandTimeout;
        statement.Parameters.Clear();
        var parameters = new SqliteParameter[caller.Parameters.Count];
        caller.Parameters.CopyTo(parameters, 0);
        caller.Parameters.Clear();
        foreach (var parameter in parameters)
        {
            // Dapper gives names without their '@' (every statement here writes them with '@'). Without it, the provider
            // looks each name up with all three prefixes SQLite allows, each a linear search of the statement's names:
            // with a batched insert's hundreds of parameters, that was about 5% of the service's CPU time.
            if (parameter.ParameterName is [not ('@' or ':' or '$'), ..] name)
            {
                parameter.ParameterName = "@" + name;
            }
        }

        statement.Parameters.AddRange(parameters);
        return statement;
    }

    /// <summary>
    /// Inserts index and projection rows (<see cref="RowBatches"/>) one at a time through a statement prepared once for
    /// each table, binding each value straight to SQLite. Through Dapper and the provider, every value of a batched
    /// insert became a named parameter object, a name string and a binder, about a quarter of all the service's
    /// allocations during submissions (bench/README.md); SQLite's own work is the same row by row.
    /// </summary>
    internal void InsertRows(SqlDialect dialect, RowTable table, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (!rowStatements.TryGetValue(table, out var statement))
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(Handle, dialect.InsertRowsSql(table, 1), out statement), Handle);
            rowStatements.Add(table, statement);
            Interlocked.Increment(ref kept);
        }

        foreach (var values in rows)
        {
            try
            {
                for (var column = 0; column < values.Length; column++)
                {
                    SqliteException.ThrowExceptionForRC(Bind(statement, column + 1, values[column]), Handle); // the one-row text names its parameters in column order
                }

                // Errors as the provider reports them, so callers (a unique key's conflict, a full disk) see the same exception.
                SqliteException.ThrowExceptionForRC(raw.sqlite3_step(statement), Handle);
            }
            finally
            {
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }
    }

    /// <summary>
    /// Runs a statement that returns one integer (an insert's <c>RETURNING</c> key), prepared once for its text, with the
    /// values bound to its parameters in the order they first appear. The audit record of every request is written this
    /// way (<see cref="Audit.AuditWrites"/>): through Dapper, its twelve values were twelve parameter objects and
    /// binders, an eighth of what an audited read allocated (bench/README.md).
    /// </summary>
    internal long InsertReturningKey(string sql, object?[] values)
    {
        if (!keyStatements.TryGetValue(sql, out var statement))
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(Handle, sql, out statement), Handle);
            var takes = raw.sqlite3_bind_parameter_count(statement);
            if (takes != values.Length)
            {
                statement.Dispose();
                throw new ArgumentException($"The statement takes {takes} values, not {values.Length}.", nameof(values));
            }

            keyStatements.Add(sql, statement);
            Interlocked.Increment(ref kept);
        }

        try
        {
            for (var index = 0; index < values.Length; index++)
            {
                SqliteException.ThrowExceptionForRC(Bind(statement, index + 1, values[index]), Handle);
            }

            var step = raw.sqlite3_step(statement);
            if (step != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(step, Handle);
                throw new InvalidOperationException("The insert returned no key.");
            }

            var key = raw.sqlite3_column_int64(statement, 0);
            SqliteException.ThrowExceptionForRC(raw.sqlite3_step(statement), Handle); // RETURNING's row comes before the insert is done
            return key;
        }
        finally
        {
            raw.sqlite3_reset(statement);
            raw.sqlite3_clear_bindings(statement);
        }
    }

    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        string text => raw.sqlite3_bind_text(statement, index, text),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
        byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
        _ => throw new ArgumentException($"A row value of type {value.GetType().Name} cannot be stored.", nameof(value)),
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Before the connection goes back to the pool: its statements must not outlive it.
            Interlocked.Add(ref kept, -PreparedCount);
            foreach (var statement in statements.Values)
            {
                statement.Dispose();
            }

            statements.Clear();
            foreach (var statement in rowStatements.Values)
            {
                statement.Dispose();
            }

            rowStatements.Clear();
            foreach (var statement in keyStatements.Values)
            {
                statement.Dispose();
            }

            keyStatements.Clear();
        }

        base.Dispose(disposing);
    }

    // Dapper's command: the text and values it is given go to the connection's prepared command of that text.
    private sealed class ReusingCommand : SqliteCommand
    {
        private readonly PreparingConnection owner;

        public ReusingCommand(PreparingConnection owner)
        {
            this.owner = owner;
            Connection = owner;
        }

        public override int ExecuteNonQuery() => owner.Prepared(this) is { } statement ? statement.ExecuteNonQuery() : base.ExecuteNonQuery();

        public override object? ExecuteScalar() => owner.Prepared(this) is { } statement ? statement.ExecuteScalar() : base.ExecuteScalar();
    }
}
