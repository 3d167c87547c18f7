using System.Threading.Channels;
using Wmtty.Api.Logging;
using Wmtty.Data.Audit;
using Wmtty.Data.Resources;

namespace Wmtty.Api.Access;

/// <summary>
/// The audit record of one request, filled in as it runs: the caller, the interaction, and every
/// patient whose data it touched or tried to. Holds ids and codes only, never what a patient wrote.
/// </summary>
internal sealed class AccessRecord(Caller caller, string action, string interaction, string? resourceType, string? resourceId, string? requestId, TimeProvider clock)
{
    private readonly HashSet<string> patients = new(StringComparer.Ordinal);

    public Caller Caller { get; } = caller;

    public string Interaction { get; } = interaction;

    /// <summary>The record acted on; set by a handler when it is only known once the request runs, such as a new invitation's id.</summary>
    public string? ResourceId { get; set; } = resourceId;

    /// <summary>Set when a write committed this record in its own transaction.</summary>
    public bool Committed { get; set; }

    public void AddPatient(string? patientId)
    {
        if (!string.IsNullOrEmpty(patientId))
        {
            lock (patients)
            {
                patients.Add(patientId);
            }
        }
    }

    public AuditEntry ToEntry(int status)
    {
        lock (patients)
        {
            return new AuditEntry(
                clock.GetUtcNow(), action, Interaction, resourceType, ResourceId, status,
                Caller.KindName, Caller.Subject, Caller.IsPatient ? null : Caller.Name, Caller.ClientId,
                Caller.Roles.Count == 0 ? null : string.Join(' ', Caller.Roles), requestId, [.. patients]);
        }
    }

    /// <summary>Appends this record inside a write's transaction, as a success with <paramref name="status"/>.</summary>
    public Task AppendInAsync(IWriteSession session, int status) => session.AppendAuditAsync(ToEntry(status));
}

/// <summary>
/// Appends audit records in groups: records from concurrent requests are stored together, and each request waits
/// until its record is stored durably before its answer is sent. So nothing is answered without its audit record,
/// and reads under load cost one flush per batch, not per read. On SQLite a batch is a line each in the audit journal
/// and one fdatasync (<c>Wmtty.Data.Audit.AuditJournal</c>), so reads never wait for the single database writer; on SQL
/// Server, or with <c>Storage:AuditJournal=false</c>, it is one transaction.
/// </summary>
/// <remarks>
/// The gather below was measured with a transaction a batch. A commit costs about as much as a dozen records: the log pages it writes (the ends of the audit tables, the
/// sequence), its fsync, and their copy at the next checkpoint. Under load, batches formed only from what arrived
/// during the last commit held about 9 records; so when the last batch was shared, a new one waits up to
/// <see cref="Gather"/> for more to join (about 25 then; $lastn 2,831 to 3,226 requests/s, p99 45 to 37 ms:
/// bench/README.md). A request at a quiet time, after a batch of one, is not held back.
/// </remarks>
internal sealed class AuditTrail : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const int GatherUpTo = 32;
    private static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(2);
    private readonly Channel<(AuditEntry Entry, TaskCompletionSource Done)> pending =
        Channel.CreateUnbounded<(AuditEntry, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IAuditStore store;
    private readonly ILogger<AuditTrail> logger;
    private readonly Task writer;
    private long commits;

    public AuditTrail(IAuditStore store, ILogger<AuditTrail> logger)
    {
        this.store = store;
        this.logger = logger;
        writer = Task.Run(WriteAsync);
    }

    /// <summary>Completes when the entry is committed; throws if it could not be.</summary>
    public Task AppendAsync(AuditEntry entry)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!pending.Writer.TryWrite((entry, done)))
        {
            done.SetException(new InvalidOperationException("The audit trail is closed."));
        }

        return done.Task;
    }

    /// <summary>How many batches have been committed so far.</summary>
    public long Commits => Interlocked.Read(ref commits);

    private async Task WriteAsync()
    {
        var batch = new List<(AuditEntry Entry, TaskCompletionSource Done)>(MaxBatch);
        var previous = 0;
        while (await pending.Reader.WaitToReadAsync())
        {
            Take(batch);
            if (previous > 1 && batch.Count < GatherUpTo)
            {
                await Task.Delay(Gather);
                Take(batch);
            }

            previous = batch.Count;
            try
            {
                await store.AppendAsync([.. batch.Select(b => b.Entry)], CancellationToken.None);
                Interlocked.Increment(ref commits);
                batch.ForEach(b => b.Done.TrySetResult());
            }
            catch (Exception exception)
            {
                logger.AuditFailed(exception.GetType().Name, batch.Count);
                batch.ForEach(b => b.Done.TrySetException(exception));
            }

            batch.Clear();
        }
    }

    private void Take(List<(AuditEntry Entry, TaskCompletionSource Done)> batch)
    {
        while (batch.Count < MaxBatch && pending.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }
    }

    public async ValueTask DisposeAsync()
    {
        pending.Writer.TryComplete();
        await writer;
    }
}
