using Microsoft.Data.Sqlite;
using Wmtty.Data.Audit;
using Wmtty.Data.Invitations;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Sqlite;

namespace Wmtty.Data.Storage;

/// <summary>The configured database: its store, its migrations and a readiness probe.</summary>
public sealed class WmttyDatabase
{
    private readonly ISqlDialect dialect;
    private readonly Migrator migrator;

    private WmttyDatabase(ISqlDialect dialect, string description)
    {
        this.dialect = dialect;
        migrator = new Migrator(dialect);
        Resources = new ResourceStore(dialect);
        Preferences = new PreferenceStore(dialect);
        Audit = new AuditStore(dialect);
        Invitations = new InvitationStore(dialect);
        Description = description;
    }

    public IResourceStore Resources { get; }

    public IPreferenceStore Preferences { get; }

    public IAuditStore Audit { get; }

    public IInvitationStore Invitations { get; }

    /// <summary>Provider and location, without credentials, for start-up logs.</summary>
    public string Description { get; }

    public string Provider => dialect.Name;

    public int LatestSchemaVersion => migrator.LatestVersion;

    public IReadOnlyList<Migration> Migrations => migrator.Migrations;

    /// <summary>Applies pending migrations; throws <see cref="SchemaTooNewException"/> for a database from a newer build.</summary>
    public IReadOnlyList<int> Migrate() => migrator.Migrate();

    /// <summary>The schema version recorded in the database; throws if it cannot be reached.</summary>
    public int ReadSchemaVersion() => migrator.CurrentVersion();

    public static WmttyDatabase Create(StorageOptions options, string? connectionString)
    {
        return options.Provider switch
        {
            StorageProvider.Sqlite => CreateSqlite(options, connectionString),
            _ => throw new NotSupportedException(
                $"Storage:Provider '{options.Provider}' is not available in this build. Use 'Sqlite'."),
        };
    }

    private static WmttyDatabase CreateSqlite(StorageOptions options, string? connectionString)
    {
        var builder = string.IsNullOrWhiteSpace(connectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(Path.GetFullPath(options.DataDirectory), "wmtty.db") }
            : new SqliteConnectionStringBuilder(connectionString);
        builder.ForeignKeys = true;
        builder.Pooling = true;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;

        var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        return new WmttyDatabase(new SqliteDialect(builder.ToString()), $"SQLite file {Path.GetFullPath(builder.DataSource)}");
    }
}
