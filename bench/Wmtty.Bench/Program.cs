using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Wmtty.Bench;

// The Wmtty benchmark: seed N patients through the API, then drive each scenario with a closed loop
// of 64 connections against the real service (Release, its own process), and the same load against
// a bare Kestrel endpoint serving one $lastn answer's bytes (the ceiling). See bench/README.md.
var sizes = (OptionText("--patients") ?? "1000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList(); // several: run each, then compare
var seconds = Option("--seconds", 10);
var warmUp = Option("--warmup", 10);
var connections = Option("--connections", 64);
var seedParallelism = Option("--seed-parallelism", 8);
var trace = args.Contains("--trace"); // profile the service with dotnet-trace during each scenario
var only = OptionText("--only"); // run only scenarios whose name contains this
var seedBy = OptionText("--seed") ?? "import"; // import: NDJSON through the bulk import; http: POSTs to the running service
var importWorkers = Option("--import-workers", 128);
var warmAll = Option("--warm-all", 20); // seconds of all scenarios mixed before any is measured
// --service-env NAME=VALUE (repeatable): set for the service's processes only (its import too), not for the load tool or the ceiling
foreach (var (name, value) in Settings("--service-env"))
{
    ServiceProcess.ExtraEnvironment[name] = value;
}

// A/B in one run (Compare.cs): --compare-env NAME=VALUE (repeatable) and/or --compare-service PATH/Wmtty.Api.dll make a second service, B
var compareEnvironment = Settings("--compare-env");
var compareDll = OptionText("--compare-service") is { } otherDll ? Path.GetFullPath(otherDll) : null;
var comparing = compareEnvironment.Count > 0 || compareDll is not null;
if (compareDll is not null && !File.Exists(compareDll))
{
    throw new ArgumentException($"--compare-service: no such file, {compareDll}.");
}

const string CanonicalBase = "https://wmtty.example.org/fhir"; // as in src/Wmtty.Api/appsettings.json

var root = RepositoryRoot();
var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
if (configuration != "Release")
{
    Console.Error.WriteLine("Warning: not a Release build; run with -c Release for figures worth comparing.");
}

// As deployed: published for this machine, ReadyToRun. --service build runs the plain build output instead (JIT only).
string apiDll;
if (OptionText("--service") == "build")
{
    apiDll = Path.Combine(root, "src", "Wmtty.Api", "bin", configuration, "net10.0", "Wmtty.Api.dll");
}
else
{
    Console.WriteLine("Publishing Wmtty.Api (Release, ReadyToRun) to bench/Wmtty.Bench/bin/service");
    apiDll = await ServiceProcess.PublishAsync(root);
}

var runs = new List<(int Patients, List<Result> Results)>();
foreach (var size in sizes)
{
    runs.Add((size, await RunSizeAsync(size)));
}

if (runs.Count > 1)
{
    // Flat as data grows: each scenario's p99 at every size, as a ratio to the smallest.
    var flat = Report.Flatness(DateTime.UtcNow, runs);
    Console.WriteLine();
    Console.WriteLine(flat);
    Console.WriteLine($"Written to {Report.Write(Path.Combine(root, "bench", "results"), DateTime.UtcNow, flat, "-flatness")}");
}

// One database size: build it, start the service on it, run every scenario and the ceiling, write the table.
async Task<List<Result>> RunSizeAsync(int patients)
{
    var dataDirectory = Path.Combine(Path.GetTempPath(), $"wmtty-bench-{Guid.NewGuid():N}");
    var otherDirectory = dataDirectory + "-b"; // B's copy, for an A/B
    Directory.CreateDirectory(dataDirectory);
    var now = DateTime.UtcNow;
    Console.WriteLine($"Wmtty bench: {patients} patients, {seconds} s per scenario, {connections} connections, {Environment.ProcessorCount} cores");
    Console.WriteLine($"Starting {apiDll} with data in {dataDirectory}");

    try
    {
        var facts = new List<string>();
        List<string>? imported = null;
        var generator = new Generator(CanonicalBase);
        if (seedBy == "import")
        {
            var file = Path.Combine(dataDirectory, "bench.ndjson");
            Console.WriteLine($"Writing {patients} patients and responses as NDJSON to {file}");
            var writeClock = Stopwatch.StartNew();
            imported = generator.WriteNdjson(file, patients);
            Console.WriteLine($"  {new FileInfo(file).Length / 1024.0 / 1024.0:F1} MB in {writeClock.Elapsed.TotalSeconds:F1} s");
            // --import-runs 1 skips the second run (at a million patients it takes half an hour and shows what 10,000 show).
            foreach (var run in new[] { "first", "again (idempotent)" }.Take(Option("--import-runs", 2)))
            {
                Console.WriteLine($"Bulk import, {run}: Wmtty.Api import {Path.GetFileName(file)} --workers {importWorkers}");
                var (exitCode, elapsed, output) = await ServiceProcess.ImportAsync(apiDll, dataDirectory, file, importWorkers);
                Console.WriteLine("  " + output.Replace("\n", "\n  "));
                if (exitCode != 0)
                {
                    throw new InvalidOperationException($"The import failed (exit code {exitCode}).");
                }

                facts.Add($"bulk import, {run}: {2 * patients} resources ({patients} Patients, {patients} QuestionnaireResponses) in {elapsed.TotalSeconds:F1} s wall time, process start included: " +
                    $"{2 * patients / elapsed.TotalSeconds:F0} resources/s; the importer's own report: {output.Split('\n')[0]}");
            }

            // What SQLite alone needs for what the import stored, on the same database (before the service opens it). 0: not measured.
            if (Option("--floor-responses", 512) is > 0 and var floorResponses)
            {
                Console.WriteLine("Storage floor: the imported responses' rows copied again inside SQLite, rolled back");
                var floor = StorageFloor.Measure(Path.Combine(dataDirectory, "wmtty.db"), floorResponses);
                Console.WriteLine("  " + floor);
                facts.Add(floor.ToString());
            }
        }

        // A/B: B gets its own copy of the database, taken before either service has opened it.
        if (comparing)
        {
            Directory.CreateDirectory(otherDirectory);
            foreach (var file in Directory.GetFiles(dataDirectory, "wmtty.db*"))
            {
                File.Copy(file, Path.Combine(otherDirectory, Path.GetFileName(file)));
            }
        }

        using var service = await ServiceProcess.StartAsync(apiDll, dataDirectory);
        Console.WriteLine($"  first answer from GET /fhir/metadata after {service.StartUp.TotalMilliseconds:F0} ms (pid {service.Pid})");

        using var client = LoadRunner.Client(service.Address, connections, await TokenAsync(service.Address));

        var seedRate = 0.0;
        var ids = imported;
        if (ids is null)
        {
            Console.WriteLine($"Seeding {patients} patients and responses over HTTP, {seedParallelism} at a time");
            var seedClock = Stopwatch.StartNew();
            ids = await generator.SeedAsync(client, patients, seedParallelism);
            seedRate = ids.Count / seedClock.Elapsed.TotalSeconds;
        }

        if (ids.Count == 0)
        {
            throw new InvalidOperationException("No patients were seeded.");
        }

        // One real answer of each kind, to check the routes and to give the ceiling its bytes.
        const string Category = "care-preferences";
        using var sample = await client.GetAsync($"/fhir/Observation/$lastn?patient={ids[0]}");
        var lastnBytes = await sample.Content.ReadAsByteArrayAsync();
        var lastnType = sample.Content.Headers.ContentType?.ToString() ?? "application/fhir+json";
        Console.WriteLine($"  one $lastn answer: {(int)sample.StatusCode}, {lastnBytes.Length} bytes, {Entries(lastnBytes)} entries, {lastnType}");
        foreach (var path in new[] { $"/fhir/Patient/{ids[0]}/$wmtty-summary", $"/fhir/Observation?patient={ids[0]}&category={Category}" })
        {
            using var check = await client.GetAsync(path);
            var body = await check.Content.ReadAsByteArrayAsync();
            Console.WriteLine($"  GET {path}: {(int)check.StatusCode}, {body.Length} bytes");
        }

        // Submission bodies made up front, so the load tool spends its core on sending, not building JSON.
        var submissions = ids.Take(2000).Select((id, i) => System.Text.Encoding.UTF8.GetBytes(generator.Response(id, new Random(1_000_000 + i)).ToJsonString())).ToArray();

        string RandomPatient(Random r) => ids[r.Next(ids.Count)];
        var scenarios = new (string Name, Func<HttpClient, Random, CancellationToken, Task<HttpResponseMessage>> Send)[]
        {
            ("$lastn", (c, r, ct) => c.GetAsync($"/fhir/Observation/$lastn?patient={RandomPatient(r)}", ct)),
            ("$wmtty-summary", (c, r, ct) => c.GetAsync($"/fhir/Patient/{RandomPatient(r)}/$wmtty-summary", ct)),
            ($"search (category={Category})", (c, r, ct) => c.GetAsync($"/fhir/Observation?patient={RandomPatient(r)}&category={Category}", ct)),
            ("submission (POST QuestionnaireResponse)", (c, r, ct) => c.PostAsync("/fhir/QuestionnaireResponse", Generator.Bytes(submissions[r.Next(submissions.Length)]), ct)),
        };

        if (args.Contains("--reference"))
        {
            // What the rest costs: the whole pipeline with the token and no database, and one audited read of one stored resource.
            scenarios = [.. scenarios,
                ("reference: GET /health/live (pipeline and token, no database)", (c, _, ct) => c.GetAsync("/health/live", ct)),
                ("reference: GET Patient/{id} (one audited read)", (c, r, ct) => c.GetAsync($"/fhir/Patient/{RandomPatient(r)}", ct))];
        }

        var selected = scenarios.Where(s => only is null || s.Name.Contains(only, StringComparison.Ordinal)).ToArray();
        if (Option("--soak", 0) is > 0 and var soakMinutes)
        {
            // bench/soak.sh: minutes of everything mixed, then an overload burst (Soak.cs).
            Soak.Mix[] mix =
            [
                new("$lastn", 45, scenarios[0].Send), new("$wmtty-summary", 15, scenarios[1].Send), new("search", 15, scenarios[2].Send),
                new("GET Patient/{id}", 15, (c, r, ct) => c.GetAsync($"/fhir/Patient/{RandomPatient(r)}", ct)), new("submission", 10, scenarios[3].Send),
            ];
            var (soak, passed) = await Soak.RunAsync(service, client, mix, connections, TimeSpan.FromMinutes(soakMinutes), TimeSpan.FromMinutes(Math.Min(2, soakMinutes / 5.0)),
                Option("--overload-connections", 2048), TimeSpan.FromSeconds(Option("--overload-seconds", 30)), await TokenAsync(service.Address),
                [
                    $"machine: {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); the load tool and the service share them",
                    $"patients: {ids.Count}, each with one completed QuestionnaireResponse ({(imported is null ? "seeded over HTTP" : "bulk import")}); database {DatabaseMb(dataDirectory):F0} MB at the end",
                    $"service: {(OptionText("--service") == "build" ? "the build output" : "published Release, ReadyToRun")}, with its default Overload settings; start-up {service.StartUp.TotalMilliseconds:F0} ms",
                    ServiceProcess.ExtraEnvironment.Count == 0 ? "service environment: as published" : $"service environment (--service-env): {string.Join(", ", ServiceProcess.ExtraEnvironment.Select(e => $"{e.Key}={e.Value}"))}",
                ]);
            Console.WriteLine();
            Console.WriteLine(soak);
            Console.WriteLine($"Written to {Report.Write(Path.Combine(root, "bench", "results"), now, soak, "-soak")}");
            Environment.ExitCode = passed ? 0 : 1;
            return [];
        }

        if (comparing)
        {
            using var other = await ServiceProcess.StartAsync(compareDll ?? apiDll, otherDirectory, compareEnvironment);
            Console.WriteLine($"  B: {compareDll ?? "the same build"}{string.Concat(compareEnvironment.Select(e => $", {e.Key}={e.Value}"))}; first answer after {other.StartUp.TotalMilliseconds:F0} ms (pid {other.Pid})");
            using var otherClient = LoadRunner.Client(other.Address, connections, await TokenAsync(other.Address));
            foreach (var (name, side) in new[] { ("A", client), ("B", otherClient) }.Where(_ => warmAll > 0))
            {
                await LoadRunner.RunAsync($"{name}: warm-up, all scenarios mixed", side, connections, TimeSpan.Zero, TimeSpan.FromSeconds(warmAll),
                    (c, r, ct) => scenarios[r.Next(scenarios.Length)].Send(c, r, ct));
            }

            var comparison = await Compare.RunAsync(selected, new Compare.Side("A", service, client), new Compare.Side("B", other, otherClient), connections,
                TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(Option("--slice", 5)), Option("--pairs", 8), now,
            [
                $"machine: {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); the load tool and both services share them",
                $"patients: {ids.Count}; {connections} connections, closed loop; first {warmAll} s of all scenarios mixed on each service",
                $"A: this checkout, published (Release, ReadyToRun){(ServiceProcess.ExtraEnvironment.Count == 0 ? "" : $"; both with {string.Join(", ", ServiceProcess.ExtraEnvironment.Select(e => $"{e.Key}={e.Value}"))}")}",
                $"B: {(compareDll is null ? "the same build" : $"--compare-service {compareDll}")}{string.Concat(compareEnvironment.Select(e => $", {e.Key}={e.Value}"))}",
            ]);
            Console.WriteLine();
            Console.WriteLine(comparison);
            Console.WriteLine($"Written to {Report.Write(Path.Combine(root, "bench", "results"), now, comparison, "-ab")}");
            return [];
        }

        const string Mixed = "mixed: $lastn beside submissions";
        var mixed = only is null || Mixed.Contains(only, StringComparison.Ordinal);
        if (warmAll > 0 && (selected.Length > 0 || mixed))
        {
            // A service that has been up a while: the JIT has tiered up the paths all four scenarios take. Without this,
            // after a bulk import (no requests yet), the tiering thread still took 18% of the CPU during the first scenario.
            Console.WriteLine($"Warming the service up: {warmAll} s of all scenarios mixed (not measured)");
            await LoadRunner.RunAsync("warm-up, all scenarios mixed", client, connections, TimeSpan.Zero, TimeSpan.FromSeconds(warmAll),
                (c, r, ct) => scenarios[r.Next(scenarios.Length)].Send(c, r, ct));
        }

        Console.WriteLine("Load");
        var results = new List<Result>();
        foreach (var (name, send) in scenarios.Where(s => only is null || s.Name.Contains(only, StringComparison.Ordinal)))
        {
            using var profile = trace ? Profiler.Start(service.Pid, name, root, now, TimeSpan.FromSeconds(warmUp + seconds)) : null;
            results.Add(await LoadRunner.RunAsync(name, client, connections, TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(seconds), send, service.RssMb, service.CpuSeconds));
            profile?.Report();
        }

        if (mixed)
        {
            // Charts opened while patients submit: the reads' audit records and the submissions share the one writer.
            // Two loops at once on the same service, so the service's CPU time cannot be split between them.
            var submitters = Math.Max(1, connections / 8);
            Console.WriteLine(Mixed);
            results.AddRange(await Task.WhenAll(
                LoadRunner.RunAsync($"mixed: $lastn ({connections - submitters} connections, beside submissions)", client, connections - submitters,
                    TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(seconds), scenarios[0].Send, service.RssMb),
                LoadRunner.RunAsync($"mixed: submission ({submitters} connections, beside $lastn)", client, submitters,
                    TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(seconds), scenarios[3].Send, service.RssMb)));
        }

        var (ceilingApp, ceilingAddress) = await Ceiling.StartAsync(lastnBytes, lastnType);
        Result ceiling;
        await using (ceilingApp)
        {
            using var ceilingClient = LoadRunner.Client(ceilingAddress, connections);
            ceiling = await LoadRunner.RunAsync("ceiling (bare Kestrel, same bytes as $lastn)", ceilingClient, connections,
                TimeSpan.FromSeconds(warmUp), TimeSpan.FromSeconds(seconds), (c, _, ct) => c.GetAsync("/", ct));
            await ceilingApp.StopAsync();
        }

        facts.InsertRange(0, new List<string>
        {
            $"machine: {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); the load tool and the service share them",
            OptionText("--service") == "build" ? $"service: the {configuration} build output, JIT only (--service build)" : "service: published Release for this machine, ReadyToRun (dotnet publish -r <rid>)",
            imported is not null
                ? $"patients: {ids.Count}, each with one completed QuestionnaireResponse (loaded with the bulk import; database {DatabaseMb(dataDirectory):F0} MB)"
                : $"patients: {ids.Count}, each with one completed QuestionnaireResponse (seeded over HTTP at {seedRate:F0} patients/s, {2 * seedRate:F0} resources/s, {seedParallelism} at a time)",
            ServiceProcess.ExtraEnvironment.Count == 0 ? "service environment: as published" : $"service environment (--service-env): {string.Join(", ", ServiceProcess.ExtraEnvironment.Select(e => $"{e.Key}={e.Value}"))}",
            $"load: {connections} connections, closed loop; first {warmAll} s of all scenarios mixed, then each scenario {seconds} s after {warmUp} s warm-up; one ehrwriter bearer token from /dev/token on every request",
            $"service start-up (process start to first 200 from GET /fhir/metadata, {(imported is null ? "fresh" : "imported")} database): {service.StartUp.TotalMilliseconds:F0} ms",
            $"service peak RSS over the whole run (VmHWM): {service.PeakRssMb():F0} MB; write-ahead log at the end: {WalMb(dataDirectory):F1} MB",
            $"one $lastn answer: {lastnBytes.Length} bytes, {Entries(lastnBytes)} entries",
        });
        var markdown = Report.Markdown(now, facts, results, ceiling);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {Report.Write(Path.Combine(root, "bench", "results"), now, markdown)}");
        return results;
    }
    finally
    {
        try
        {
            if (args.Contains("--keep"))
            {
                Console.WriteLine($"Kept the data folder (--keep): {dataDirectory}");
            }
            else
            {
                Directory.Delete(dataDirectory, recursive: true);
                if (Directory.Exists(otherDirectory))
                {
                    Directory.Delete(otherDirectory, recursive: true);
                }
            }
        }
        catch (IOException)
        {
        }
    }
}

// An integration engine's token (Preferences.ReadWrite.All) from the service's /dev/token: it may create patients and read.
static async Task<string> TokenAsync(Uri service)
{
    using var anonymous = LoadRunner.Client(service, 1);
    using var issued = JsonDocument.Parse(await anonymous.GetStringAsync("/dev/token?role=ehrwriter"));
    return issued.RootElement.GetProperty("access_token").GetString()!;
}

// Every NAME=VALUE given after a repeatable option.
Dictionary<string, string> Settings(string option)
{
    var settings = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var setting in args.Select((a, i) => (a, i)).Where(p => p.a == option && p.i + 1 < args.Length).Select(p => args[p.i + 1]))
    {
        var equals = setting.IndexOf('=');
        if (equals <= 0)
        {
            throw new ArgumentException($"{option} takes NAME=VALUE, not '{setting}'.");
        }

        settings[setting[..equals]] = setting[(equals + 1)..];
    }

    return settings;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

string? OptionText(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Wmtty.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run the bench from inside the repository (no Wmtty.sln above " + AppContext.BaseDirectory + ").");
}

static double WalMb(string folder) =>
    File.Exists(Path.Combine(folder, "wmtty.db-wal")) ? new FileInfo(Path.Combine(folder, "wmtty.db-wal")).Length / 1024.0 / 1024.0 : 0;

static double DatabaseMb(string folder) =>
    Directory.GetFiles(folder, "wmtty.db*").Sum(f => new FileInfo(f).Length) / 1024.0 / 1024.0;

static int Entries(byte[] bundle)
{
    using var json = JsonDocument.Parse(bundle);
    return json.RootElement.TryGetProperty("entry", out var entry) ? entry.GetArrayLength() : 0;
}
