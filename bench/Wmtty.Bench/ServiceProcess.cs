using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wmtty.Bench;

/// <summary>
/// The real service, Wmtty.Api.dll built in Release, run as its own process on a loopback port in
/// Development (for /dev/token), with its SQLite data in a fresh folder and the rate limit off.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process process;
    private readonly Queue<string> lastLines = new();

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => process.Id;

    /// <summary>Environment variables for the service's processes only (<c>--service-env</c>), after the bench's own.</summary>
    public static Dictionary<string, string> ExtraEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>From process start to the first 200 from GET /fhir/metadata.</summary>
    public TimeSpan StartUp { get; private set; }

    private static ProcessStartInfo Command(string apiDll, string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(apiDll)!, // the content root, for appsettings.json
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(apiDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Storage__DataDirectory"] = dataDirectory;
        start.Environment["RateLimiting__PermitsPerMinute"] = "0"; // no limit: one client sends everything
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in ExtraEnvironment.Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs the service's bulk import (<c>Wmtty.Api import FILE</c>) on the data folder; its exit code, wall time and output.</summary>
    public static async Task<(int ExitCode, TimeSpan Elapsed, string Output)> ImportAsync(string apiDll, string dataDirectory, string file, int workers)
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(Command(apiDll, dataDirectory, null, "import", file, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture)))!;
        var error = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                Console.WriteLine("    " + line); // the progress lines
            }
        });
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        await error;
        return (process.ExitCode, clock.Elapsed, output.Trim());
    }

    /// <summary>Starts the service on a free loopback port; <paramref name="environment"/>: more variables for this process only (a compared service's).</summary>
    public static async Task<ServiceProcess> StartAsync(string apiDll, string dataDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = Command(apiDll, dataDirectory, environment, "--urls", address.ToString().TrimEnd('/'));

        var clock = Stopwatch.StartNew();
        var service = new ServiceProcess(Process.Start(start)!, address);
        service.process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        service.process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        service.process.BeginOutputReadLine();
        service.process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (service.process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"The service did not start. Its last output:\n{string.Join('\n', service.lastLines)}");
            }

            try
            {
                using var response = await probe.GetAsync("/fhir/metadata");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    service.StartUp = clock.Elapsed;
                    return service;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Resident memory now (VmRSS), in MB, or 0 where /proc is not available.</summary>
    public double RssMb() => ReadStatusKb("VmRSS") / 1024.0;

    /// <summary>The process's CPU time so far, user and system (/proc/PID/stat), in seconds; NaN where /proc is not available.</summary>
    public double CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state is field 3, utime 14, stime 15
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    // USER_HZ, which /proc reports times in: 100 on Linux.
    private const int ClockTicksPerSecond = 100;

    /// <summary>The process's peak resident memory so far (VmHWM), in MB.</summary>
    public double PeakRssMb() => ReadStatusKb("VmHWM") / 1024.0;

    /// <summary>RSS in its parts, in MB: anonymous memory (heaps, SQLite's caches), mapped files (code) and shared memory (SQLite's -shm index).</summary>
    public (double Anonymous, double File, double Shared) RssPartsMb() =>
        (ReadStatusKb("RssAnon") / 1024.0, ReadStatusKb("RssFile") / 1024.0, ReadStatusKb("RssShmem") / 1024.0);

    private long ReadStatusKb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>
    /// Publishes Wmtty.Api as it would be deployed: Release, for this machine's runtime identifier, ReadyToRun
    /// (compiled ahead of time; see the Api's project file). Returns the published Wmtty.Api.dll.
    /// </summary>
    public static async Task<string> PublishAsync(string root)
    {
        var output = Path.Combine(root, "bench", "Wmtty.Bench", "bin", "service");
        var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "publish", Path.Combine(root, "src", "Wmtty.Api"), "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
                     "--self-contained", "false", "-o", output, "-nologo", "-v", "quiet" })
        {
            publish.ArgumentList.Add(argument);
        }

        using var process = Process.Start(publish)!;
        var errors = process.StandardError.ReadToEndAsync();
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of Wmtty.Api failed:\n{text}\n{await errors}");
        }

        return Path.Combine(output, "Wmtty.Api.dll");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("WMTTY_BENCH_ECHO") is not null)
        {
            Console.WriteLine("  service: " + line); // the service's own output, for a look inside (never in results)
        }

        lock (lastLines)
        {
            lastLines.Enqueue(line);
            if (lastLines.Count > 40)
            {
                lastLines.Dequeue();
            }
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }
}
