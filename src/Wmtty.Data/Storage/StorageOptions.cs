namespace Wmtty.Data.Storage;

/// <summary>Where and how resources are stored: section <c>Storage</c>, plus <c>ConnectionStrings:Wmtty</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Folder for the embedded SQLite file when no connection string is given; relative paths are resolved against the working directory.</summary>
    public string DataDirectory { get; set; } = "data";
}

public enum StorageProvider
{
    Sqlite,
    SqlServer,
}
