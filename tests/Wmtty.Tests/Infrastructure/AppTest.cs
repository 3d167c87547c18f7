namespace Wmtty.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own service, database and clinician client.</summary>
public abstract class AppTest : IAsyncLifetime
{
    protected WmttyApp App { get; } = new();

    protected HttpClient Client { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Client = await App.ClientAsync();

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
