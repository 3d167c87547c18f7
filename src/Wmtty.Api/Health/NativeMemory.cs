using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Wmtty.Api.Health;

/// <summary>
/// Memory outside the managed heap, on Linux with glibc: how many malloc arenas the process may have, and what they hold,
/// as gauges on the <c>Wmtty.Process</c> meter (<c>dotnet-counters monitor -p PID --counters Wmtty.Process</c>).
/// glibc gives threads their own arenas, up to eight for each core, and memory freed in one arena is kept for that
/// arena's threads. With the thread pool's threads taking turns at the requests, each arena keeps its own high-water
/// mark, and the process's memory crept up for the whole of a 20-minute soak (bench/README.md, "The soak").
/// </summary>
internal static class NativeMemory
{
    public const string MeterName = "Wmtty.Process";

    /// <summary>The arenas the service allows itself unless <c>MALLOC_ARENA_MAX</c> says otherwise.</summary>
    public const int Arenas = 2;

    private const int MallocArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Trimmed = Meter.CreateCounter<long>("wmtty.process.malloc.trimmed", "By",
        "Bytes of resident memory the periodic trim of glibc's arenas gave back to the system (Memory:TrimEvery), estimated from the process's anonymous memory before and after.");

    static NativeMemory()
    {
        if (!HasMallinfo2)
        {
            return;
        }

        Meter.CreateObservableGauge("wmtty.process.malloc.in_use", () => (long)Info().InUse, "By",
            "Bytes glibc's malloc has handed out and not had back (mallinfo2 uordblks + hblkhd): SQLite's memory, the runtime's own, native libraries'.");
        Meter.CreateObservableGauge("wmtty.process.malloc.free", () => (long)Info().Free, "By",
            "Bytes freed to glibc's malloc arenas and kept there for reuse, not returned to the system (mallinfo2 fordblks).");
    }

    /// <summary>
    /// Where this process is the service itself on glibc and the operator has not set <c>MALLOC_ARENA_MAX</c>: runs the
    /// same program again in this process (<c>execve</c> of <c>/proc/self/exe</c> with the same arguments and environment,
    /// and <c>MALLOC_ARENA_MAX</c> <see cref="Arenas"/>), so that glibc caps the arenas before anything has allocated.
    /// Returns only where it did not; then it caps them in process (<see cref="CapArenas"/>). The process id, its
    /// parent, its open files and its output stay the same. Call first thing.
    /// </summary>
    /// <remarks>
    /// <see cref="CapArenas"/> alone comes too late: by the time <c>Program</c> runs, the runtime's own threads have
    /// made arenas of their own, and glibc then shares those out among later threads instead of making more. Started with
    /// the cap set in process, the service had ten 64 MB-aligned anonymous mappings (arena heaps among them); started with
    /// <c>MALLOC_ARENA_MAX=1</c>, one (bench/README.md, "The arenas were never capped at two"). Not where another program
    /// (a test host) called this entry point.
    /// </remarks>
    public static void RestartWithArenasCapped()
    {
        if (!OnGlibc || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return;
        }

        if (System.Reflection.Assembly.GetEntryAssembly() == typeof(NativeMemory).Assembly)
        {
            try
            {
                var arguments = File.ReadAllText("/proc/self/cmdline").Split('\0', StringSplitOptions.None);
                var count = arguments.Length > 0 && arguments[^1].Length == 0 ? arguments.Length - 1 : arguments.Length; // ends with a NUL
                var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .Select(e => $"{e.Key}={e.Value}").Append($"MALLOC_ARENA_MAX={Arenas}");
                if (count > 0)
                {
                    execve("/proc/self/exe", [.. arguments.Take(count), null], [.. environment, null]); // returns only if it failed
                }
            }
            catch (IOException)
            {
                // No /proc: cap in process, below.
            }
        }

        CapArenas();
    }

    /// <summary>
    /// Caps glibc's malloc arenas at <see cref="Arenas"/>, unless the operator set <c>MALLOC_ARENA_MAX</c> (glibc reads
    /// that itself). Threads that have allocated already keep their arenas, and glibc goes on handing those out, so this
    /// only stops more being made (<see cref="RestartWithArenasCapped"/>). False where there is no glibc (Windows, macOS,
    /// musl), which has nothing of the kind to cap.
    /// </summary>
    public static bool CapArenas()
    {
        if (!OnGlibc || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return false;
        }

        return mallopt(MallocArenaMax, Arenas) == 1; // mallopt answers 1 on success
    }

    /// <summary>
    /// Gives the free memory in glibc's arenas back to the system (<c>malloc_trim(0)</c>, which releases whole free pages
    /// anywhere in an arena, not only at its top). Answers how much the process's anonymous memory shrank meanwhile, an
    /// estimate (other threads allocate meanwhile); 0 without glibc.
    /// </summary>
    public static long Trim()
    {
        if (!OnGlibc)
        {
            return 0;
        }

        var before = AnonymousBytes();
        malloc_trim(0);
        var released = Math.Max(before - AnonymousBytes(), 0);
        Trimmed.Add(released);
        return released;
    }

    /// <summary>The process's resident anonymous memory (<c>RssAnon</c> in /proc/self/status), in bytes; 0 if unknown.</summary>
    public static long AnonymousBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(8).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>What glibc's malloc holds now; zeros without glibc 2.33 or later (mallinfo2).</summary>
    public static (ulong InUse, ulong Free) Info()
    {
        if (!HasMallinfo2)
        {
            return (0, 0);
        }

        var info = mallinfo2();
        return (info.uordblks + info.hblkhd, info.fordblks);
    }

    internal static bool OnGlibc { get; } = OperatingSystem.IsLinux() && HasGlibc();

    // mallinfo2 came with glibc 2.33; older ones (Debian 11, RHEL 8) have only the 32-bit mallinfo, not used here.
    private static bool HasMallinfo2 { get; } = OnGlibc && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "mallinfo2", out _);

    private static bool HasGlibc()
    {
        try
        {
            return gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl (Alpine) has no gnu_get_libc_version
        }
    }

    // glibc 2.33 and later. The fields are size_t, in malloc.h's order.
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for nothing: every type here is blittable
    [DllImport("libc", ExactSpelling = true)]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", ExactSpelling = true)]
    private static extern MallInfo2 mallinfo2();

    [DllImport("libc", ExactSpelling = true)]
    private static extern IntPtr gnu_get_libc_version();

    [DllImport("libc", ExactSpelling = true)]
    private static extern int malloc_trim(nuint pad);

    // Strings go as UTF-8, each array ending in a null pointer.
    [DllImport("libc", ExactSpelling = true)]
    private static extern int execve(string path, string?[] argv, string?[] envp);
#pragma warning restore SYSLIB1054
}

/// <summary>Section <c>Memory</c>: how the service keeps its memory outside the managed heap in check.</summary>
internal sealed class MemoryOptions
{
    public const string Section = "Memory";

    /// <summary>
    /// How often free memory in glibc's malloc arenas is given back to the system; zero never. SQLite's caches and the
    /// runtime's native buffers are freed in one place and allocated in another, and the freed pages, held by the
    /// arenas, counted in the process's memory for good (bench/README.md, "The soak").
    /// </summary>
    public TimeSpan TrimEvery { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Trims glibc's malloc arenas every <see cref="MemoryOptions.TrimEvery"/> (<see cref="NativeMemory.Trim"/>).</summary>
internal sealed class NativeMemoryTrim(IOptions<MemoryOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.TrimEvery <= TimeSpan.Zero || !NativeMemory.OnGlibc)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.TrimEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                NativeMemory.Trim();
            }
            catch (Exception error) when (error is IOException or FormatException or UnauthorizedAccessException)
            {
                // /proc unreadable: the trim is done, only its measure is missing; the service goes on either way
            }
        }
    }
}

internal static class NativeMemoryRegistration
{
    /// <summary>The periodic trim of glibc's arenas (<see cref="MemoryOptions"/>).</summary>
    public static WebApplicationBuilder AddNativeMemoryTrim(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section)
            .Validate(o => o.TrimEvery == TimeSpan.Zero || o.TrimEvery >= TimeSpan.FromSeconds(1), "Memory:TrimEvery must be zero (never) or at least a second.")
            .ValidateOnStart();
        builder.Services.AddHostedService<NativeMemoryTrim>();
        return builder;
    }
}
