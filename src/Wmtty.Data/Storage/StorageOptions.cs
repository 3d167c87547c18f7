namespace Wmtty.Data.Storage;

/// <summary>Where and how resources are stored: section <c>Storage</c>, plus <c>ConnectionStrings:Wmtty</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Folder for the embedded SQLite file when no connection string is given; relative paths are resolved against the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>How often work that failed for a transient reason (deadlock, busy, failover) is tried again before the answer is 503.</summary>
    public int Retries { get; set; } = 4;

    /// <summary>The wait before the first retry; each later one doubles it, up to two seconds, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>SQL Server: how often SqlClient's own retry logic tries again to open a connection that failed for a transient reason (a failover, throttling).</summary>
    public int ConnectRetries { get; set; } = 2;

    /// <summary>
    /// SQLite: the most writes that share one commit. Writes that arrive while one commit is being written
    /// wait and go together in the next, each in a savepoint of its own; 1 gives every write its own commit.
    /// </summary>
    public int GroupCommitWrites { get; set; } = 64;

    /// <summary>
    /// SQLite on Linux: the single writer commits a group without waiting for the disk, and goes on to the next group while
    /// the group's commit is made durable by an <c>fdatasync</c> of the write-ahead log; the group's writes are answered
    /// only after that. False has SQLite sync inside every commit, with the writer waiting.
    /// </summary>
    public bool SyncAfterCommit { get; set; } = true;

    /// <summary>
    /// SQLite: audit records are made durable in an append-only journal file beside the database, flushed in groups,
    /// and stored in the audit tables in batches of thousands (<c>AuditJournal</c>). False stores each group of records
    /// in the database directly, as SQL Server always does.
    /// </summary>
    public bool AuditJournal { get; set; } = true;

    /// <summary>SQLite, with <see cref="AuditJournal"/>: how long a record waits in the journal at most, when fewer than a few thousand do, before it is stored in the audit tables.</summary>
    public TimeSpan AuditJournalFoldEvery { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// SQLite: the memory, in MB, all connections' page caches may hold together before SQLite reuses cached pages
    /// instead of allocating more (<c>sqlite3_soft_heap_limit64</c>, for the whole process). The file's pages stay in the
    /// operating system's cache either way, and under mixed load a reader's cache is dropped whenever a write has committed
    /// since its last read.
    /// </summary>
    public int SqliteMemoryLimitMB { get; set; } = SqliteDefaultMemoryLimitMB;

    /// <summary>The default of <see cref="SqliteMemoryLimitMB"/>.</summary>
    public const int SqliteDefaultMemoryLimitMB = 64;

    /// <summary>
    /// SQLite: the connections reads use, kept open, the one given back last taken first; also the most reads that run at
    /// once (the rest wait for one). Each keeps its own page cache, so this bounds what they hold. Null: eight for each processor, at
    /// least 16 and at most 64.
    /// </summary>
    public int? SqliteReaders { get; set; }

    /// <summary><see cref="SqliteReaders"/> as set, or its default for this machine.</summary>
    public int SqliteReaderCount => SqliteReaders ?? Math.Clamp(8 * Environment.ProcessorCount, 16, 64);

    /// <summary>SQL Server: the most pooled connections an instance holds. Null keeps the connection string's (or SqlClient's 100).</summary>
    public int? MaxPoolSize { get; set; }

    /// <summary>SQL Server: connections kept open while idle. Null keeps the connection string's (or 0).</summary>
    public int? MinPoolSize { get; set; }

    /// <summary>SQL Server: how long a write waits for another instance's lock on the same patient or criteria.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public enum StorageProvider
{
    Sqlite,
    SqlServer,
}
