using System.Globalization;
using Microsoft.Extensions.Options;
using Wmtty.Data.Backup;
using Wmtty.Data.Storage;

namespace Wmtty.Api.Storage;

/// <summary>
/// <c>backup FOLDER</c>: an online backup of the configured SQLite database and its audit journal files into a new or
/// empty folder (<see cref="SqliteBackup"/>), safe while the service runs. It opens nothing else: no migrations, no
/// seeding, nothing written to the database. README, "Backup and restore".
/// </summary>
internal static class BackupCommand
{
    public const string Verb = "backup";

    public static bool Requested(string[] args) => args.Length > 0 && args[0] == Verb;

    public static int Run(WebApplication app, string[] args)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("Usage: dotnet run --project src/Wmtty.Api -- backup FOLDER\n" +
                "  FOLDER: a new or empty folder; it receives a copy of the database and of the audit journal's files.");
            return 2;
        }

        try
        {
            var result = SqliteBackup.Run(app.Services.GetRequiredService<IOptions<StorageOptions>>().Value,
                app.Configuration.GetConnectionString(StorageSetup.ConnectionStringName), args[1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Backed up to {result.Database} ({result.Bytes / 1024.0 / 1024.0:F1} MB, integrity check ok) with {result.JournalFiles.Count} audit journal file(s), in {result.Elapsed.TotalSeconds:F1} s."));
            return 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"Backup failed: {exception.Message}");
            return 1;
        }
    }
}
