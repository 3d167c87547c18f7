using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Dapper;

namespace Wmtty.Data.Storage;

/// <summary>A database whose schema is newer than this build knows: starting would risk corrupting it.</summary>
public sealed class SchemaTooNewException(int databaseVersion, int codeVersion) : Exception(
    $"The database is at schema version {databaseVersion}, but this build of Wmtty only knows versions up to {codeVersion}. " +
    "It was written by a newer Wmtty. Run that version, or point Storage and ConnectionStrings:Wmtty at another database.")
{
    public int DatabaseVersion { get; } = databaseVersion;

    public int CodeVersion { get; } = codeVersion;
}

/// <summary>One embedded, versioned SQL script.</summary>
public sealed record Migration(int Version, string Description, string Sql);

/// <summary>
/// Applies the embedded migrations for a dialect in order, recording each in <c>schema_version</c>, all in
/// one transaction: a failed migration leaves the schema as it was. Instances that start together take
/// turns (the dialect's migration lock), so each migration runs once.
/// </summary>
internal sealed class Migrator(SqlDialect dialect)
{
    // Longer than the two minutes the migration lock waits, and than a slow index build.
    private const int MigrationCommandTimeoutSeconds = 600;

    public IReadOnlyList<Migration> Migrations { get; } = Load(dialect.MigrationResourceFolder);

    public int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>Brings the schema up to date and returns the versions applied now (empty if none were due).</summary>
    public IReadOnlyList<int> Migrate()
    {
        using var connection = dialect.CreateConnection();
        connection.Open();
        dialect.PrepareDatabase(connection);

        using var transaction = dialect.BeginWriteTransaction(connection);
        if (dialect.MigrationLockSql is { } takeLock)
        {
            connection.Execute(takeLock, transaction: transaction, commandTimeout: MigrationCommandTimeoutSeconds);
        }

        connection.Execute(dialect.EnsureSchemaVersionTableSql, transaction: transaction);
        var current = connection.ExecuteScalar<int>(dialect.ReadSchemaVersionSql, transaction: transaction);
        if (current > LatestVersion)
        {
            throw new SchemaTooNewException(current, LatestVersion);
        }

        var applied = new List<int>();
        foreach (var migration in Migrations.Where(m => m.Version > current))
        {
            foreach (var batch in dialect.Batches(migration.Sql))
            {
                connection.Execute(batch, transaction: transaction, commandTimeout: MigrationCommandTimeoutSeconds);
            }

            connection.Execute(dialect.RecordMigrationSql, new
            {
                migration.Version,
                migration.Description,
                AppliedUtc = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            }, transaction);
            applied.Add(migration.Version);
        }

        transaction.Commit();
        return applied;
    }

    public int CurrentVersion()
    {
        using var connection = dialect.CreateConnection();
        connection.Open();
        return connection.ExecuteScalar<int>(dialect.HealthCheckSql);
    }

    private static List<Migration> Load(string folder)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{folder}.";
        var migrations = new List<Migration>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = name[prefix.Length..^".sql".Length];
            var separator = file.IndexOf('_');
            if (separator <= 0 || !int.TryParse(file[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration '{name}' must be named NNNN_description.sql.");
            }

            migrations.Add(new Migration(version, file[(separator + 1)..].Replace('_', ' '), Read(assembly, name)));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations for {folder} must be numbered 1, 2, 3… without gaps; found {migrations[i].Version} at position {i + 1}.");
            }
        }

        return migrations;
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
