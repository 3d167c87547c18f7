namespace Wmtty.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own service, database and clinician client.</summary>
public abstract class AppTest : IAsyncLifetime
{
    protected WmttyApp App { get; } = new();

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>How many current resources of the type the service holds, by <c>_summary=count</c>.</summary>
    protected async Task<int> CountAsync(string type)
    {
        using var response = await Client.GetAsync($"/fhir/{type}?_summary=count");
        return (await response.BodyAsync())["total"]!.GetValue<int>();
    }

    public virtual async Task InitializeAsync() => Client = await App.ClientAsync();

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
