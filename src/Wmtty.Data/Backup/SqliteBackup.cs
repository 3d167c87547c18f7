using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Audit;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Backup;

/// <summary>What a backup wrote: the database copy, its size, the audit journal files copied beside it, and how long it took.</summary>
public sealed record BackupResult(string Database, long Bytes, IReadOnlyList<string> JournalFiles, TimeSpan Elapsed);

/// <summary>
/// An online backup of the SQLite database, safe while the service runs (in this process or another):
/// <list type="number">
/// <item>The audit journal's files first, as they are (AuditJournal): records a read's audit appended there may not be in
/// the database yet.</item>
/// <item>Then the database, through SQLite's backup API in one step: one read transaction, so one consistent moment,
/// every write committed before it and none after. Writers go on meanwhile, into the write-ahead log.</item>
/// <item>Then <c>PRAGMA integrity_check</c> on the copy; a copy that fails it is deleted and the backup fails.</item>
/// </list>
/// A record in both a journal copy and the database copy is stored once when the backup is restored: the database
/// says how far each file was stored, in the same transactions that stored it, and the next start stores only the
/// rest. Patient data is in the copy, so the folder it goes to needs the same protection as the database's.
/// </summary>
public static class SqliteBackup
{
    public static BackupResult Run(StorageOptions options, string? connectionString, string destinationFolder)
    {
        if (options.Provider != StorageProvider.Sqlite)
        {
            throw new NotSupportedException("This backup is for SQLite. On SQL Server and Azure SQL, use the server's own backups (BACKUP DATABASE, or Azure SQL's automated backups and point-in-time restore).");
        }

        var source = WmttyDatabase.SqliteConnection(options, connectionString);
        if (source.DataSource is "" or ":memory:" || source.Mode == SqliteOpenMode.Memory)
        {
            throw new NotSupportedException("An in-memory database cannot be backed up.");
        }

        var sourcePath = Path.GetFullPath(source.DataSource);
        if (!File.Exists(sourcePath))
        {
            throw new FileNotFoundException($"There is no database at {sourcePath}.", sourcePath);
        }

        var destination = Path.GetFullPath(destinationFolder);
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new IOException($"The backup folder {destination} is not empty: give a new or empty folder, so that no earlier backup is mixed in.");
        }

        var clock = Stopwatch.StartNew();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(destination);
        }
        else
        {
            Directory.CreateDirectory(destination, OwnerOnly | UnixFileMode.UserExecute); // patient data: the backup's owner alone
        }

        var journals = new List<string>();
        foreach (var file in AuditJournal.FilesBeside(sourcePath))
        {
            var copy = Path.Combine(destination, Path.GetFileName(file));
            try
            {
                using var from = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var to = CreateOwnerOnly(copy);
                from.CopyTo(to);
                to.Flush(flushToDisk: true);
                journals.Add(copy);
            }
            catch (FileNotFoundException)
            {
                // Stored and deleted since it was listed: its records are in the database, which is copied next.
            }
        }

        var target = Path.Combine(destination, Path.GetFileName(sourcePath));
        CreateOwnerOnly(target).Dispose(); // empty, which SQLite takes as a new database, with the owner's permissions only
        source.Mode = SqliteOpenMode.ReadWrite; // never create an empty database where the real one should be
        source.Pooling = false;
        using (var from = new SqliteConnection(source.ToString()))
        using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
        {
            from.Open();
            to.Open();
            from.BackupDatabase(to); // sqlite3_backup_step(-1): every page in one step, under one read transaction
            using var check = to.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            var result = check.ExecuteScalar() as string;
            if (result != "ok")
            {
                to.Close();
                File.Delete(target);
                throw new InvalidDataException($"The copy failed SQLite's integrity check ({result}), so it was deleted. The database itself may need checking.");
            }

            using var mode = to.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode=DELETE"; // one self-contained file, whatever the source's mode
            mode.ExecuteNonQuery();
        }

        return new BackupResult(target, new FileInfo(target).Length, journals, clock.Elapsed);
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static FileStream CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return new FileStream(path, options);
    }
}
