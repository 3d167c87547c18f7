using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>The store contract on a real SQLite file, in a folder of its own.</summary>
public sealed class SqliteStoreTests : StoreContract
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));

    protected override string? Unavailable => null;

    protected override WmttyDatabase Connect(Action<StorageOptions>? configure = null)
    {
        var options = new StorageOptions { DataDirectory = folder };
        configure?.Invoke(options);
        return WmttyDatabase.Create(options, connectionString: null);
    }

    protected override void DropDatabase()
    {
        WmttyApp.DeleteDataFolder(folder);
    }
}
