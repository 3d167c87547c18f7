using Dapper;
using Microsoft.Data.SqlClient;
using Wmtty.Data.Storage;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The store contract on SQL Server, when <c>WMTTY_SQLSERVER</c> holds a connection string for a login
/// that may create databases (see README). Each test creates a database of its own, with read
/// committed snapshot on as Azure SQL has it, and drops it afterwards. Without the variable every test
/// reports itself skipped.
/// </summary>
public sealed class SqlServerStoreTests : StoreContract
{
    public const string Variable = "WMTTY_SQLSERVER";

    private static readonly string? Server = Environment.GetEnvironmentVariable(Variable);

    private readonly string name = "wmtty_test_" + Guid.NewGuid().ToString("N")[..16];
    private bool created;

    protected override string? Unavailable => string.IsNullOrWhiteSpace(Server)
        ? $"No SQL Server here: set {Variable} to a connection string (for a login that may create databases) to run the store tests on SQL Server."
        : null;

    protected override WmttyDatabase Connect(Action<StorageOptions>? configure = null)
    {
        if (!created)
        {
            Master($"CREATE DATABASE [{name}]; ALTER DATABASE [{name}] SET READ_COMMITTED_SNAPSHOT ON;");
            created = true;
        }

        var options = new StorageOptions { Provider = StorageProvider.SqlServer };
        configure?.Invoke(options);
        return WmttyDatabase.Create(options, new SqlConnectionStringBuilder(Server) { InitialCatalog = name }.ConnectionString);
    }

    protected override void DropDatabase()
    {
        if (created)
        {
            SqlConnection.ClearAllPools();
            Master($"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}];");
        }
    }

    private static void Master(string sql)
    {
        using var connection = new SqlConnection(new SqlConnectionStringBuilder(Server) { InitialCatalog = "master" }.ConnectionString);
        connection.Open();
        connection.Execute(sql);
    }
}
