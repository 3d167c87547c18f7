using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Wmtty.Api.Health;
using Wmtty.Data.Sqlite;

namespace Wmtty.Tests.Units;

/// <summary>
/// The memory outside the managed heap that the soak watches (bench/README.md, "The soak"): glibc's arena cap, and the
/// gauges that say where native memory goes.
/// </summary>
public sealed class NativeMemoryTests
{
    [Fact]
    public void OnLinuxWithGlibcTheArenasAreCappedUnlessTheOperatorSetMallocArenaMax()
    {
        var capped = NativeMemory.CapArenas();
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(capped);
            return;
        }

        // Debian, where this runs, has glibc; an operator's MALLOC_ARENA_MAX is left to glibc.
        Assert.Equal(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null, capped);
        var (inUse, _) = NativeMemory.Info();
        Assert.True(inUse > 1_000_000, $"malloc in use: {inUse} bytes"); // the runtime and SQLite have allocated
    }

    [Fact]
    public void TheGaugesReportMallocSqliteAndTheWritersPreparedStatements()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the malloc gauges are glibc's
        }

        var path = Path.Combine(Path.GetTempPath(), $"wmtty-gauges-{Guid.NewGuid():N}.db");
        try
        {
            // A writer connection that keeps a statement prepared, so the statements gauge has one to count.
            using var writer = (PreparingConnection)new SqliteDialect($"Data Source={path};Pooling=False").CreateWriterConnection();
            writer.Open();
            Dapper.SqlMapper.Execute(writer, "CREATE TABLE t (x INTEGER)");
            Dapper.SqlMapper.Execute(writer, "INSERT INTO t (x) VALUES (@x)", new { x = 1 });
            Assert.True(writer.PreparedCount >= 1);

            _ = NativeMemory.Info(); // the gauges are made with the class
            var observed = new ConcurrentDictionary<string, long>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name is NativeMemory.MeterName or "Wmtty.Storage")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => observed[instrument.Name] = value);
            listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => observed[instrument.Name] = value);
            listener.Start();
            listener.RecordObservableInstruments();

            Assert.True(observed.GetValueOrDefault("wmtty.process.malloc.in_use") > 1_000_000, string.Join(", ", observed));
            Assert.True(observed.ContainsKey("wmtty.process.malloc.free"));
            Assert.True(observed.GetValueOrDefault("wmtty.storage.sqlite.memory") > 0, string.Join(", ", observed));
            Assert.True(observed.GetValueOrDefault("wmtty.storage.writer.statements") >= 1, string.Join(", ", observed)); // other tests' writers count too
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public void TrimmingGivesBackFreePagesHeldBetweenLiveAllocations()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(0, NativeMemory.Trim());
            return;
        }

        // 64 MB in 4 KB blocks (below malloc's mmap threshold, so from an arena), touched, then all freed but every 64th:
        // the live blocks pin the arena, so glibc keeps the free pages between them resident until a trim.
        const int blocks = 16_384;
        var held = new IntPtr[blocks];
        var ones = Enumerable.Repeat((byte)1, 4096).ToArray();
        for (var i = 0; i < blocks; i++)
        {
            held[i] = System.Runtime.InteropServices.Marshal.AllocHGlobal(4096);
            System.Runtime.InteropServices.Marshal.Copy(ones, 0, held[i], ones.Length);
        }

        for (var i = 0; i < blocks; i++)
        {
            if (i % 64 != 0)
            {
                System.Runtime.InteropServices.Marshal.FreeHGlobal(held[i]);
            }
        }

        try
        {
            var released = NativeMemory.Trim();
            Assert.True(released > 32L * 1024 * 1024, $"released {released / 1024} kB of the 63 MB freed");
        }
        finally
        {
            for (var i = 0; i < blocks; i += 64)
            {
                System.Runtime.InteropServices.Marshal.FreeHGlobal(held[i]);
            }
        }
    }

    [Fact]
    public void SqlitesMemoryLimitIsTheSettingAndANonsensicalOneIsRefused()
    {
        // The limit is the process's: another test's database may set the default meanwhile, so this tries a few times.
        var limits = new List<long>();
        for (var attempt = 0; attempt < 5 && !limits.Contains(7L * 1024 * 1024); attempt++)
        {
            Assert.Equal(7L * 1024 * 1024, new SqliteDialect("Data Source=:memory:", memoryLimitMB: 7).MemoryLimitBytes);
            limits.Add(SQLitePCL.raw.sqlite3_soft_heap_limit64(-1)); // -1 reads the limit without changing it
        }

        Assert.Contains(7L * 1024 * 1024, limits);
        _ = new SqliteDialect("Data Source=:memory:"); // the default again, for the tests that follow
        Assert.Equal(64L * 1024 * 1024, SQLitePCL.raw.sqlite3_soft_heap_limit64(-1));

        var error = Assert.Throws<InvalidOperationException>(() => Wmtty.Data.Storage.WmttyDatabase.Create(
            new Wmtty.Data.Storage.StorageOptions { SqliteMemoryLimitMB = 0 }, "Data Source=:memory:"));
        Assert.Contains("Storage:SqliteMemoryLimitMB", error.Message);
    }
}
