using Microsoft.Data.SqlClient;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>How <c>Storage:Provider=SqlServer</c> is configured; nothing here needs a server, because nothing connects.</summary>
public sealed class SqlServerConfigurationTests
{
    private const string ConnectionString = "Server=tcp:sql.example.nhs.uk,1433;Database=wmtty;User ID=wmtty-api;Password=not-a-real-secret;Encrypt=True";

    [Fact]
    public void PoolSizeAndRetriesComeFromConfigurationAndThePasswordStaysOutOfTheLogs()
    {
        var database = WmttyDatabase.Create(new StorageOptions { Provider = StorageProvider.SqlServer, MaxPoolSize = 40, MinPoolSize = 4 }, ConnectionString);

        Assert.Equal("SqlServer", database.Provider);
        using var connection = (SqlConnection)database.Dialect.CreateConnection();
        var settings = new SqlConnectionStringBuilder(connection.ConnectionString);
        Assert.Equal(40, settings.MaxPoolSize);
        Assert.Equal(4, settings.MinPoolSize);
        Assert.True(settings.Pooling);
        Assert.Equal("Wmtty", settings.ApplicationName);
        Assert.NotNull(connection.RetryLogicProvider);
        Assert.Equal(3, connection.RetryLogicProvider.RetryLogic.NumberOfTries); // Storage:ConnectRetries (2) + the first try

        Assert.Contains("sql.example.nhs.uk", database.Description);
        Assert.Contains("pool 4-40", database.Description);
        Assert.DoesNotContain("not-a-real-secret", database.Description);
        Assert.DoesNotContain("wmtty-api", database.Description);
    }

    [Fact]
    public void WithoutAConnectionStringSqlServerSaysWhatIsMissing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => WmttyDatabase.Create(new StorageOptions { Provider = StorageProvider.SqlServer }, null));
        Assert.Contains("ConnectionStrings:Wmtty", error.Message);
    }

    [Theory]
    [InlineData(-1, 0, 0)]
    [InlineData(4, 10, 5)]
    public void ImpossibleSettingsAreRefused(int retries, int? minPool, int? maxPool)
    {
        Assert.Throws<InvalidOperationException>(() => WmttyDatabase.Create(
            new StorageOptions { Provider = StorageProvider.SqlServer, Retries = retries, MinPoolSize = minPool, MaxPoolSize = maxPool }, ConnectionString));
    }

    [Fact]
    public void TheServiceDoesNotStartOnSqlServerWithoutAConnectionString()
    {
        using var app = new WmttyApp(new Dictionary<string, string?> { ["Storage:Provider"] = "SqlServer" });
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        for (var e = error; e is not null; e = e.InnerException!)
        {
            if (e is InvalidOperationException && e.Message.Contains("ConnectionStrings:Wmtty", StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"Expected the start-up to name the missing setting, got {error}");
    }
}
