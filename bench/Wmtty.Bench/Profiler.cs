using System.Diagnostics;
using System.Globalization;

namespace Wmtty.Bench;

/// <summary>
/// <c>--trace</c>: records a CPU-sampling trace of the service with <c>dotnet-trace</c> (a .NET global tool:
/// <c>dotnet tool install -g dotnet-trace</c>) while one scenario runs, writes it to
/// <c>bench/results/traces/</c>, and prints the methods most often on the stack.
/// </summary>
internal sealed class Profiler : IDisposable
{
    private readonly Process process;
    private readonly string file;

    private Profiler(Process process, string file)
    {
        this.process = process;
        this.file = file;
    }

    public static Profiler? Start(int pid, string scenario, string root, DateTime now, TimeSpan duration)
    {
        var folder = Path.Combine(root, "bench", "results", "traces");
        Directory.CreateDirectory(folder);
        var name = new string([.. scenario.TakeWhile(c => c != ' ').Select(c => char.IsLetterOrDigit(c) ? c : '-')]).Trim('-');
        var file = Path.Combine(folder, $"{now:yyyyMMdd'T'HHmmss'Z'}-{name}.nettrace");
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-trace");
        var info = new ProcessStartInfo(File.Exists(tool) ? tool : "dotnet-trace")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time", "-o", file,
                     "--duration", duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            var process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            return new Profiler(process, file);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("  --trace: dotnet-trace is not installed (dotnet tool install -g dotnet-trace); no profile.");
            return null;
        }
    }

    /// <summary>Waits for the trace to be written and prints its top methods, inclusive and exclusive.</summary>
    public void Report()
    {
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
        }

        Console.WriteLine($"    profile: {file}");
        foreach (var inclusive in new[] { true, false })
        {
            var info = new ProcessStartInfo(process.StartInfo.FileName) { RedirectStandardOutput = true };
            foreach (var arg in new[] { "report", file, "topN", "-n", "40" }.Concat(inclusive ? ["--inclusive"] : []))
            {
                info.ArgumentList.Add(arg);
            }

            using var report = Process.Start(info)!;
            Console.WriteLine(report.StandardOutput.ReadToEnd());
            report.WaitForExit();
        }
    }

    public void Dispose() => process.Dispose();
}
