using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Wmtty.Bench;

/// <summary>
/// SQLite's own work for storing responses, with nothing of the service's: the rows the bulk import wrote for a sample
/// of responses (each response's row and its extracted Observations' rows, with all their index rows, and its preference
/// set's rows), copied again inside the database by <c>INSERT … SELECT</c> under new keys and ids, in transactions of
/// <see cref="PerTransaction"/> responses that are rolled back. No parsing, no binding, no commit, no round trip: only
/// the B-tree inserts, into the real schema at the database's real size. The service's writer can store no faster than
/// this, whatever it does around it. Run on the imported database before the service starts; it leaves it unchanged.
/// </summary>
internal static class StorageFloor
{
    private const int PerTransaction = 32; // about a busy group commit's size

    public sealed record Figures(int Responses, double Observations, double IndexRows, double PreferenceRows, double MsAResponse, double MsAResponseResourcesOnly)
    {
        public double ResponsesPerSecond => 1000 / MsAResponse;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"storage floor (SQLite alone: {Responses} imported responses' rows copied again by INSERT … SELECT in transactions of {PerTransaction}, rolled back; " +
            $"a response is its row and {Observations:F1} Observations, {IndexRows:F0} index rows and {PreferenceRows:F0} preference rows): " +
            $"{MsAResponse:F2} ms a response, {MsAResponseResourcesOnly:F2} ms of it the resource rows alone; so at most {ResponsesPerSecond:F0} responses/s " +
            $"on one writer, {2 * ResponsesPerSecond:F0} resources/s with a Patient each, before the Patient's rows, the commit and everything the service does");
    }

    public static Figures Measure(string databasePath, int responses = 256)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;"); // as the service's writer (SqliteDialect.WriterConnectionSql)

        // A spread of current responses, and every resource row that is theirs: the response and its Observations.
        Execute(connection, $"""
            CREATE TEMP TABLE floor_response AS
                SELECT resource_key AS response_key, resource_id AS response_id, row_number() OVER (ORDER BY resource_key) - 1 AS n
                FROM (SELECT resource_key, resource_id FROM resource WHERE resource_type = 'QuestionnaireResponse' AND is_current = 1 AND is_deleted = 0 ORDER BY random() LIMIT {responses});
            CREATE TEMP TABLE floor_key AS
                SELECT response_key AS old_key, n / {PerTransaction} AS chunk FROM floor_response
                UNION ALL
                SELECT o.resource_key, f.n / {PerTransaction} FROM floor_response f
                JOIN reference_index x ON x.param_key = (SELECT param_key FROM index_param WHERE resource_type = 'Observation' AND param = 'derived-from') AND x.target_id = f.response_id AND x.target_type = 'QuestionnaireResponse'
                JOIN resource o ON o.resource_key = x.resource_key AND o.is_current = 1;
            """);
        var next = Scalar(connection, "SELECT MAX(resource_key) FROM resource") + 1_000_000;
        Execute(connection, $"""
            CREATE TEMP TABLE floor_map AS SELECT old_key, {next} + row_number() OVER (ORDER BY chunk, old_key) AS new_key, chunk FROM floor_key;
            CREATE TEMP TABLE floor_resource AS
                SELECT m.new_key AS resource_key, r.resource_type, r.resource_id || '~floor' AS resource_id, r.version, r.is_current, r.is_deleted, r.last_updated,
                       m.new_key AS origin_key, r.request_method, r.response_status, r.json, r.compartment, m.chunk
                FROM floor_map m JOIN resource r ON r.resource_key = m.old_key;
            CREATE TEMP TABLE floor_token AS SELECT m.new_key AS resource_key, t.param_key, t.system_key, t.code, m.chunk FROM floor_map m JOIN token_index t ON t.resource_key = m.old_key;
            CREATE TEMP TABLE floor_reference AS SELECT m.new_key AS resource_key, x.param_key, x.target_type, x.target_id, x.identifier_system, x.identifier_value, m.chunk FROM floor_map m JOIN reference_index x ON x.resource_key = m.old_key;
            CREATE TEMP TABLE floor_date AS SELECT m.new_key AS resource_key, d.param_key, d.low, d.high, m.chunk FROM floor_map m JOIN date_index d ON d.resource_key = m.old_key;
            CREATE TEMP TABLE floor_string AS SELECT m.new_key AS resource_key, s.param_key, s.value, s.exact_value, m.chunk FROM floor_map m JOIN string_index s ON s.resource_key = m.old_key;
            CREATE TEMP TABLE floor_set AS
                SELECT p.set_key, f.response_id || '~floor' AS response_id, p.patient_id, p.authored, f.n / {PerTransaction} AS chunk
                FROM floor_response f JOIN preference_response p ON p.response_id = f.response_id;
            CREATE TEMP TABLE floor_entry AS
                SELECT s.set_key, o.observation_id || '~floor' AS observation_id, o.code_system, o.code, o.position, s.chunk
                FROM floor_set s JOIN preference_observation o ON o.set_key = s.set_key;
            CREATE TEMP TABLE floor_extracted AS
                SELECT f.response_id || '~floor' AS response_id, e.observation_id || '~floor' AS observation_id, f.n / {PerTransaction} AS chunk
                FROM floor_response f JOIN extracted_observation e ON e.response_id = f.response_id;
            CREATE TEMP TABLE floor_current AS
                SELECT c.patient_id, c.entries, s.chunk FROM floor_set s JOIN preference_current c ON c.patient_id = s.patient_id;
            """);

        var sampled = (int)Scalar(connection, "SELECT COUNT(*) FROM floor_response");
        if (sampled == 0)
        {
            throw new InvalidOperationException("The database has no responses to measure.");
        }

        var observations = Scalar(connection, "SELECT COUNT(*) FROM floor_resource WHERE resource_type = 'Observation'") / (double)sampled;
        var indexRows = (Scalar(connection, "SELECT COUNT(*) FROM floor_token") + Scalar(connection, "SELECT COUNT(*) FROM floor_reference")
            + Scalar(connection, "SELECT COUNT(*) FROM floor_date") + Scalar(connection, "SELECT COUNT(*) FROM floor_string")) / (double)sampled;
        var preferenceRows = (Scalar(connection, "SELECT COUNT(*) FROM floor_entry") + Scalar(connection, "SELECT COUNT(*) FROM floor_extracted")
            + 2 * Scalar(connection, "SELECT COUNT(*) FROM floor_set")) / (double)sampled;
        var chunks = (int)Scalar(connection, "SELECT MAX(chunk) + 1 FROM floor_map");

        // The sets' copies take new keys above every set there is, as new sets would.
        var nextSet = Scalar(connection, "SELECT COALESCE(MAX(set_key), 0) FROM preference_response") + 1_000_000;
        string[] resourceRows =
        [
            "INSERT INTO resource (resource_key, resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, request_method, response_status, json, compartment) " +
            "SELECT resource_key, resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, request_method, response_status, json, compartment FROM floor_resource WHERE chunk = @chunk ORDER BY resource_key",
        ];
        string[] otherRows =
        [
            "INSERT INTO token_index (resource_key, param_key, system_key, code) SELECT resource_key, param_key, system_key, code FROM floor_token WHERE chunk = @chunk ORDER BY resource_key",
            "INSERT INTO reference_index (resource_key, param_key, target_type, target_id, identifier_system, identifier_value) " +
            "SELECT resource_key, param_key, target_type, target_id, identifier_system, identifier_value FROM floor_reference WHERE chunk = @chunk ORDER BY resource_key",
            "INSERT INTO date_index (resource_key, param_key, low, high) SELECT resource_key, param_key, low, high FROM floor_date WHERE chunk = @chunk ORDER BY resource_key",
            "INSERT INTO string_index (resource_key, param_key, value, exact_value) SELECT resource_key, param_key, value, exact_value FROM floor_string WHERE chunk = @chunk ORDER BY resource_key",
            $"INSERT INTO preference_response (set_key, response_id, patient_id, authored) SELECT set_key + {nextSet}, response_id, patient_id, authored FROM floor_set WHERE chunk = @chunk ORDER BY set_key",
            $"INSERT INTO preference_observation (set_key, observation_id, code_system, code, position) SELECT set_key + {nextSet}, observation_id, code_system, code, position FROM floor_entry WHERE chunk = @chunk ORDER BY set_key",
            "INSERT INTO extracted_observation (response_id, observation_id) SELECT response_id, observation_id FROM floor_extracted WHERE chunk = @chunk",
            "INSERT OR REPLACE INTO preference_current (patient_id, entries) SELECT patient_id, entries FROM floor_current WHERE chunk = @chunk",
        ];

        // Once untimed, so both passes find the pages in the cache, then timed: the resource rows alone, and everything.
        Copy(connection, chunks, resourceRows);
        var resourcesOnly = Copy(connection, chunks, resourceRows);
        var everything = Copy(connection, chunks, [.. resourceRows, .. otherRows]);
        return new Figures(sampled, observations, indexRows, preferenceRows, everything.TotalMilliseconds / sampled, resourcesOnly.TotalMilliseconds / sampled);
    }

    private static TimeSpan Copy(SqliteConnection connection, int chunks, IReadOnlyList<string> statements)
    {
        var commands = statements.Select(text =>
        {
            var command = connection.CreateCommand();
            command.CommandText = text;
            command.Parameters.Add("@chunk", SqliteType.Integer);
            command.Prepare();
            return command;
        }).ToList();
        var elapsed = TimeSpan.Zero;
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            foreach (var command in commands)
            {
                command.Transaction = transaction;
                command.Parameters[0].Value = chunk;
            }

            var clock = Stopwatch.StartNew();
            foreach (var command in commands)
            {
                command.ExecuteNonQuery();
            }

            elapsed += clock.Elapsed;
            transaction.Rollback();
        }

        commands.ForEach(c => c.Dispose());
        return elapsed;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
