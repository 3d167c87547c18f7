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
/// Appends audit records with group commit: records from concurrent requests share one transaction,
/// and each request waits until its record is committed before its answer is sent. So nothing is
/// answered without its audit record, and reads under load cost one write per batch, not per read.
/// </summary>
internal sealed class AuditTrail : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly Channel<(AuditEntry Entry, TaskCompletionSource Done)> pending =
        Channel.CreateUnbounded<(AuditEntry, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IAuditStore store;
    private readonly ILogger<AuditTrail> logger;
    private readonly Task writer;

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

    private async Task WriteAsync()
    {
        var batch = new List<(AuditEntry Entry, TaskCompletionSource Done)>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await store.AppendAsync([.. batch.Select(b => b.Entry)], CancellationToken.None);
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

    public async ValueTask DisposeAsync()
    {
        pending.Writer.TryComplete();
        await writer;
    }
}
