using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// What a traced service allocated, from the GC's allocation ticks (one about every 100 KB, with the type and the
// stack): by type, by the service's frames (inclusive), and by type and the nearest three Wmtty frames.
// Usage: dotnet run -c Release --project bench/AllocReport -- TRACE.nettrace [rows]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: AllocReport TRACE.nettrace [rows]");
    return 2;
}

var rows = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, long>();
var byFrame = new Dictionary<string, long>();
var byStack = new Dictionary<string, long>();
long total = 0;
foreach (var data in log.Events)
{
    if (data is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    var amount = tick.AllocationAmount64;
    total += amount;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + amount;
    var frames = new List<string>();
    for (var frame = data.CallStack(); frame is not null && frames.Count < 60; frame = frame.Caller)
    {
        if (frame.CodeAddress.FullMethodName is { Length: > 0 } name)
        {
            frames.Add(name);
        }
    }

    foreach (var name in frames.Distinct())
    {
        byFrame[name] = byFrame.GetValueOrDefault(name) + amount;
    }

    var own = frames.Where(f => f.Contains("Wmtty", StringComparison.Ordinal)).Take(3).ToList();
    var key = $"{tick.TypeName} <- {string.Join(" <- ", own.Count > 0 ? own : frames.Take(3))}";
    byStack[key] = byStack.GetValueOrDefault(key) + amount;
}

if (total == 0)
{
    Console.WriteLine("No allocation ticks: record with --profile gc-verbose.");
    return 1;
}

void Print(string title, IEnumerable<KeyValuePair<string, long>> counts)
{
    Console.WriteLine($"== {title}");
    foreach (var (name, amount) in counts.OrderByDescending(p => p.Value).Take(rows))
    {
        Console.WriteLine($"{100.0 * amount / total,6:F1}%  {name}");
    }
}

Console.WriteLine($"sampled allocations: {total / 1e6:F1} MB");
Print("by type", byType);
Print("inclusive, Wmtty frames", byFrame.Where(p => p.Key.Contains("Wmtty", StringComparison.Ordinal)));
Print("by type and the nearest Wmtty frames", byStack);
return 0;
