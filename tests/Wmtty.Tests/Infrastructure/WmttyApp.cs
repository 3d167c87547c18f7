using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// The real service over a fresh SQLite file in its own temporary folder, in the Development
/// environment (so its local issuer mints test tokens). Dispose removes the folder.
/// </summary>
public sealed class WmttyApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private readonly string environment;

    public WmttyApp(Dictionary<string, string?>? settings = null, string environment = "Development", string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
        OwnsDataDirectory = dataDirectory is null;
        this.settings = settings ?? [];
        this.environment = environment;
    }

    public string DataDirectory { get; }

    /// <summary>Service registrations to replace before start, such as the published definitions.</summary>
    public List<Action<IServiceCollection>> Replacements { get; } = [];

    /// <summary>What the service logged, filtered by its configured levels as in production.</summary>
    public CapturedLogs Logs { get; } = new();

    public string DatabasePath => Path.Combine(DataDirectory, "wmtty.db");

    /// <summary>
    /// Stores every audit record appended so far in the database's audit tables, for a test that reads them with SQL;
    /// until then a record may be only in the audit journal (AuditJournal). Searches through the service do this themselves.
    /// </summary>
    public Task FoldAuditJournalAsync() =>
        Services.GetRequiredService<Wmtty.Data.Storage.WmttyDatabase>().AuditJournal?.FoldAsync(CancellationToken.None) ?? Task.CompletedTask;

    private bool OwnsDataDirectory { get; }

    /// <summary>Serves on a real loopback port instead of the in-memory test server.</summary>
    public static WmttyApp OnLoopback()
    {
        var app = new WmttyApp();
        app.UseKestrel(0);
        app.StartServer();
        return app;
    }

    /// <summary>The loopback address when started with <see cref="OnLoopback"/>.</summary>
    public Uri LoopbackAddress =>
        new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::1]", "localhost").Replace("127.0.0.1", "localhost"));

    public async Task<string> TokenAsync(string role = "clinician", string? nhs = null)
    {
        using var client = CreateClient();
        var url = $"/dev/token?role={role}" + (nhs is null ? "" : $"&nhs={nhs}");
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>An HTTP client that carries a Development bearer token for <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAsync(string role = "clinician", string? nhs = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(role, nhs));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => Replacements.ForEach(replace => replace(services)));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteData();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteData();
    }

    private void DeleteData()
    {
        if (OwnsDataDirectory)
        {
            DeleteDataFolder(DataDirectory);
        }
    }

    /// <summary>
    /// Deletes a test's data folder after its services are gone. A file that is still held open, or that turns up while
    /// the folder is deleted (once in a few runs of TwoInstanceTests, an empty wmtty.db, though no connection of either
    /// instance is made after its database is disposed), leaves the folder to the temp directory after a few tries.
    /// </summary>
    internal static void DeleteDataFolder(string folder)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        for (var attempt = 1; Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(50);
            }
            catch (IOException)
            {
                return;
            }
        }
    }
}
