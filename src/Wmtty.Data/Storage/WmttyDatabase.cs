using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Audit;
using Wmtty.Data.Invitations;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Sqlite;
using Wmtty.Data.SqlServer;

namespace Wmtty.Data.Storage;

/// <summary>The configured database: its store, its migrations and a readiness probe.</summary>
public sealed class WmttyDatabase : IAsyncDisposable
{
    private readonly SqlDialect dialect;
    private readonly Migrator migrator;
    private readonly StoreRetry retry;

    private readonly AuditJournal? journal;

    private WmttyDatabase(SqlDialect dialect, StorageOptions options, string description, string? journalBeside = null)
    {
        this.dialect = dialect;
        migrator = new Migrator(dialect);
        retry = new StoreRetry(dialect, options.Retries, options.RetryDelay, options.GroupCommitWrites);
        Resources = new ResourceStore(dialect, retry, options.LockTimeout);
        Preferences = new PreferenceStore(dialect, retry);
        Measures = new Measures.MeasureStore(dialect, retry);
        var audit = new AuditStore(dialect, retry);
        journal = journalBeside is null ? null : new AuditJournal(audit, (SqliteDialect)dialect, retry, journalBeside, options.AuditJournalFoldEvery);
        Audit = (IAuditStore?)journal ?? audit;
        Invitations = new InvitationStore(dialect, retry);
        Description = description;
    }

    public IResourceStore Resources { get; }

    public IPreferenceStore Preferences { get; }

    public Measures.IMeasureStore Measures { get; }

    public IAuditStore Audit { get; }

    public IInvitationStore Invitations { get; }

    /// <summary>Provider and location, without credentials, for start-up logs.</summary>
    public string Description { get; }

    public string Provider => dialect.Name;

    public int LatestSchemaVersion => migrator.LatestVersion;

    public IReadOnlyList<Migration> Migrations => migrator.Migrations;

    /// <summary>Applies pending migrations; throws <see cref="SchemaTooNewException"/> for a database from a newer build.</summary>
    public IReadOnlyList<int> Migrate()
    {
        var applied = migrator.Migrate();
        journal?.Recover();
        return applied;
    }

    /// <summary>The audit journal, where there is one (SQLite), for tests.</summary>
    internal AuditJournal? AuditJournal => journal;

    /// <summary>What the database's own settings should be and are not, for start-up warnings; empty when all is well.</summary>
    public IReadOnlyList<string> SettingsAdvice()
    {
        if (dialect.SettingsAdviceSql is not { } sql)
        {
            return [];
        }

        using var connection = dialect.CreateConnection();
        connection.Open();
        return [.. Dapper.SqlMapper.Query<string>(connection, sql)];
    }

    /// <summary>The schema version recorded in the database; throws if it cannot be reached.</summary>
    public int ReadSchemaVersion() => migrator.CurrentVersion();

    /// <summary>The dialect, for tests that check the SQL it sends.</summary>
    internal SqlDialect Dialect => dialect;

    /// <summary>
    /// At shutdown: lets the write under way finish, closes the writer connection, and (SQLite) checkpoints the
    /// write-ahead log into the database file. Another process still using the file may keep the log; that is fine.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (journal is not null)
        {
            await journal.DisposeAsync();
        }

        await retry.CloseAsync();
        if (dialect.ShutdownCheckpointSql is { } sql)
        {
            try
            {
                await using var connection = dialect.CreateMaintenanceConnection();
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
            }
            catch (System.Data.Common.DbException)
            {
                // Busy (another instance is writing) or gone: the log is checkpointed later, by whoever writes next.
            }
        }
    }

    public static WmttyDatabase Create(StorageOptions options, string? connectionString)
    {
        if (options.Retries is < 0 or > 20 || options.ConnectRetries is < 0 or > 20 || options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromSeconds(10)
            || options.LockTimeout <= TimeSpan.Zero || options.LockTimeout > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException("Storage:Retries and Storage:ConnectRetries must be 0 to 20, Storage:RetryDelay at most 10 seconds, and Storage:LockTimeout more than 0 and at most 5 minutes.");
        }

        if (options.AuditJournalFoldEvery < TimeSpan.FromMilliseconds(10) || options.AuditJournalFoldEvery > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException("Storage:AuditJournalFoldEvery must be 10 milliseconds to 1 hour.");
        }

        if (options.GroupCommitWrites is < 1 or > 1000)
        {
            throw new InvalidOperationException("Storage:GroupCommitWrites must be 1 to 1000.");
        }

        if (options.SqliteMemoryLimitMB is < 1 or > 65536)
        {
            throw new InvalidOperationException("Storage:SqliteMemoryLimitMB must be 1 to 65536.");
        }

        if (options.SqliteReaders is < 1 or > 1024)
        {
            throw new InvalidOperationException("Storage:SqliteReaders must be 1 to 1024.");
        }

        return options.Provider switch
        {
            StorageProvider.Sqlite => CreateSqlite(options, connectionString),
            StorageProvider.SqlServer => CreateSqlServer(options, connectionString),
            _ => throw new NotSupportedException($"Storage:Provider '{options.Provider}' is not known. Use 'Sqlite' or 'SqlServer'."),
        };
    }

    private static WmttyDatabase CreateSqlServer(StorageOptions options, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("Storage:Provider is SqlServer, but ConnectionStrings:Wmtty is not set.");
        }

        var builder = new SqlConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            ApplicationName = "Wmtty",
        };
        if (options.MaxPoolSize is { } max)
        {
            builder.MaxPoolSize = max;
        }

        if (options.MinPoolSize is { } min)
        {
            builder.MinPoolSize = min;
        }

        if (builder.MinPoolSize > builder.MaxPoolSize || builder.MaxPoolSize < 1)
        {
            throw new InvalidOperationException($"The SQL Server pool must allow at least one connection and at least its minimum ({builder.MinPoolSize}); Max Pool Size is {builder.MaxPoolSize}.");
        }

        // SqlClient's own retry logic reopens a connection that failed for a transient reason (its
        // default list: Azure SQL failover, throttling and the like). Whole transactions are retried
        // above it, by StoreRetry, because a command inside a transaction cannot be retried alone.
        var retry = SqlConfigurableRetryFactory.CreateExponentialRetryProvider(new SqlRetryLogicOption
        {
            NumberOfTries = options.ConnectRetries + 1,
            DeltaTime = TimeSpan.FromSeconds(1),
            MaxTimeInterval = TimeSpan.FromSeconds(10),
        });

        var where = string.IsNullOrEmpty(builder.InitialCatalog) ? builder.DataSource : $"{builder.DataSource}, database {builder.InitialCatalog}";
        return new WmttyDatabase(new SqlServerDialect(builder.ConnectionString, retry), options, $"SQL Server {where} (pool {builder.MinPoolSize}-{builder.MaxPoolSize})");
    }

    /// <summary>The SQLite connection as configured: the file in <c>Storage:DataDirectory</c>, unless <c>ConnectionStrings:Wmtty</c> names one.</summary>
    internal static SqliteConnectionStringBuilder SqliteConnection(StorageOptions options, string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(Path.GetFullPath(options.DataDirectory), "wmtty.db") }
            : new SqliteConnectionStringBuilder(connectionString);

    private static WmttyDatabase CreateSqlite(StorageOptions options, string? connectionString)
    {
        var builder = SqliteConnection(options, connectionString);
        builder.ForeignKeys = true;
        builder.Pooling = true;

        // How long a write waits for another process's (another instance's) write lock before SQLITE_BUSY,
        // which is then retried (Storage:Retries): 5 s a try, unless the connection string says otherwise.
        if (!builder.ShouldSerialize("Default Timeout"))
        {
            builder.DefaultTimeout = 5;
        }

        builder.Mode = SqliteOpenMode.ReadWriteCreate;

        var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var inMemory = builder.DataSource is "" or ":memory:"; // Mode is ReadWriteCreate, set above
        return new WmttyDatabase(new SqliteDialect(builder.ToString(), options.SyncAfterCommit && !inMemory, options.SqliteMemoryLimitMB, options.SqliteReaderCount), options, $"SQLite file {Path.GetFullPath(builder.DataSource)}",
            options.AuditJournal && !inMemory ? Path.GetFullPath(builder.DataSource) : null);
    }
}
