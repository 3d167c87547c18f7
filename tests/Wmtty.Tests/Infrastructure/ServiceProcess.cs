using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// The real service as a process of its own: Wmtty.Api.dll as built beside the tests, run by <c>dotnet</c> in Development
/// (for /dev/token) on a loopback port the system picks, over the SQLite files in a given folder, with the rate limit
/// off. <see cref="Kill"/> is kill -9, so none of the service's shutdown code runs; <see cref="StopAsync"/> is SIGTERM,
/// the host's graceful shutdown. Dispose kills it if it still runs.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly Queue<string> lastLines = new();
    private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process) => this.process = process;

    public Uri Address { get; private set; } = null!;

    /// <summary>The process id: the one started, which the service keeps if it runs itself again (NativeMemory).</summary>
    public int Id => process.Id;

    /// <summary>The service's last lines of output, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (lastLines)
            {
                return string.Join('\n', lastLines);
            }
        }
    }

    /// <summary>Starts the service and waits until <c>/health/ready</c> answers 200. <paramref name="settings"/>: configuration keys (<c>Storage:GroupCommitWrites</c>) and values.</summary>
    public static async Task<ServiceProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        // The referenced Exe project is copied beside the tests with its runtimeconfig and deps files, so it runs from there.
        var api = typeof(Program).Assembly.Location;
        if (!File.Exists(Path.ChangeExtension(api, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"{api} has no runtimeconfig.json beside it, so it cannot be run as a process.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(api)!, // the content root, for appsettings.json
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { api, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Storage__DataDirectory"] = dataDirectory;
        start.Environment["RateLimiting__PermitsPerMinute"] = "0"; // no limit: one client application sends everything
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // "Now listening on:" names the port
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var service = new ServiceProcess(Process.Start(start)!);
        service.process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        service.process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        service.process.BeginOutputReadLine();
        service.process.BeginErrorReadLine();
        try
        {
            await service.WaitUntilReadyAsync();
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    /// <summary>An HTTP client to the service carrying a Development bearer token for <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAsync(string role)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        using var issued = await client.GetAsync($"/dev/token?role={role}");
        issued.EnsureSuccessStatusCode();
        var token = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Kills the process with SIGKILL (kill -9) and returns its exit code: 137, 128 + the signal, when it was running.</summary>
    public int Kill()
    {
        process.Kill(entireProcessTree: true); // SIGKILL on Linux
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as an orchestrator stopping it would, and returns the exit code once it has stopped.</summary>
    public async Task<int> StopAsync()
    {
        if (SendSignal(process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited, Task.Delay(StartTimeout)) != listening.Task)
        {
            throw new InvalidOperationException($"The service did not start listening. Its last output:\n{Output}");
        }

        Address = listening.Task.Result;
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited || clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"The service did not become ready. Its last output:\n{Output}");
            }

            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not answering yet
            }

            await Task.Delay(20);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(new Uri(match.Groups[1].Value));
        }

        lock (lastLines)
        {
            lastLines.Enqueue(line);
            if (lastLines.Count > 60)
            {
                lastLines.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:[0-9]+)")]
    private static partial Regex ListeningLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
