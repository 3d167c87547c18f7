using System.Text.RegularExpressions;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Units;

/// <summary>
/// The service, started as a process of its own without <c>MALLOC_ARENA_MAX</c>, runs itself again in the same process
/// with it set, so that glibc caps its malloc arenas from the start; one the operator set is left as it is. Read from
/// the process's own environment and memory map (Linux with glibc only).
/// </summary>
public sealed class ArenaCapTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => WmttyApp.DeleteDataFolder(folder);

    [Fact]
    public async Task TheServiceRunsItselfAgainWithTwoArenasInTheSameProcess()
    {
        if (!OnGlibcLinux())
        {
            return;
        }

        await using var service = await ServiceProcess.StartAsync(folder);
        Assert.Equal(["2"], ArenaSetting(service.Id));

        using var client = await service.ClientAsync("ehrwriter");
        using var metadata = await client.GetAsync("/fhir/metadata");
        Assert.True(metadata.IsSuccessStatusCode, service.Output);

        // glibc maps each arena's heap 64 MB-aligned; started without the cap, the service had ten of them.
        Assert.InRange(AlignedHeaps(service.Id), 0, 6);
    }

    [Fact]
    public async Task AnArenaSettingTheOperatorGaveIsKept()
    {
        if (!OnGlibcLinux())
        {
            return;
        }

        await using var service = await ServiceProcess.StartAsync(folder, new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "4" });
        Assert.Equal(["4"], ArenaSetting(service.Id));
    }

    private static bool OnGlibcLinux() => OperatingSystem.IsLinux() && File.ReadAllText("/proc/self/maps").Contains("libc.so.6", StringComparison.Ordinal);

    private static string[] ArenaSetting(int pid) =>
        [.. File.ReadAllText($"/proc/{pid}/environ").Split('\0').Where(v => v.StartsWith("MALLOC_ARENA_MAX=", StringComparison.Ordinal)).Select(v => v["MALLOC_ARENA_MAX=".Length..])];

    private static int AlignedHeaps(int pid) =>
        File.ReadLines($"/proc/{pid}/maps").Select(line => Regex.Match(line, "^([0-9a-f]+)-([0-9a-f]+) rw-p 00000000 00:00 0\\s*$"))
            .Count(m => m.Success && Convert.ToUInt64(m.Groups[1].Value, 16) % (64UL << 20) == 0
                && Convert.ToUInt64(m.Groups[2].Value, 16) - Convert.ToUInt64(m.Groups[1].Value, 16) <= 64UL << 20);
}
