using System.Buffers;
using System.Text.Json;
using Dapper;
using Microsoft.Win32.SafeHandles;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Audit;

/// <summary>
/// SQLite: the audit trail's write-ahead journal. An appended record is durable once it is in a journal file and that
/// file is flushed to disk (fdatasync); it is folded into <c>audit_record</c> and <c>audit_patient</c> later, thousands to a transaction.
/// <list type="bullet">
/// <item>An append returns only after its flush, so the promise of <see cref="IAuditStore.AppendAsync"/> holds: a
/// request is answered only once its record is stored, here or in the database. A read's record costs a line in a
/// file and a share of one flush, instead of rows in three indexes and a share of a database commit.</item>
/// <item>Searches and reads fold first, so they see every record appended before they started.</item>
/// <item>Each fold writes, in its own transaction, how far it got (<c>audit_journal</c>). After a crash, the next
/// start reads the files that no running process holds and stores only what the database does not hold yet; reading
/// stops at a torn group, which was never acknowledged (<see cref="Read"/>).</item>
/// <item>Records are folded once <see cref="FoldAt"/> wait, or the oldest has waited <c>Storage:AuditJournalFoldEvery</c>
/// (a second by default), so the audit tables are at most a few seconds behind without a search.</item>
/// <item>A file is closed for appends at <see cref="SegmentBytes"/> and deleted once all of it is folded. At
/// shutdown, everything is folded and the files are deleted.</item>
/// <item>Each process writes files of its own, locked while open, so two instances on one database do not share one.</item>
/// </list>
/// The files hold what the audit trail holds (ids, codes, staff names), never what a patient wrote; they are created
/// readable by the service's user only.
/// </summary>
internal sealed class AuditJournal : IAuditStore, IAsyncDisposable
{
    public const long SegmentBytes = 4 << 20;
    private const long Preallocated = SegmentBytes + (512 << 10); // room for the group that passes SegmentBytes
    private const int FoldAt = 2048;
    private const int FoldChunk = 4096;

    private readonly AuditStore store;
    private readonly SqliteDialect dialect;
    private readonly StoreRetry retry;
    private readonly string databasePath;
    private readonly string folder;
    private readonly string prefix;
    private readonly SemaphoreSlim appendTurn = new(1, 1);
    private readonly SemaphoreSlim foldTurn = new(1, 1);
    private readonly Lock pendingLock = new();
    private readonly ArrayBufferWriter<byte> buffer = new(16 * 1024); // used only while holding appendTurn
    private readonly List<Segment> retired = []; // closed for appends, not yet all folded; under pendingLock
    private readonly ITimer timer;
    private readonly TimeSpan foldEvery;
    private List<Pending> pending = [];
    private Segment? current; // under appendTurn
    private long nextSequence = 1; // under appendTurn
    private long oldestPending; // Environment.TickCount64 of the oldest pending record; under pendingLock
    private Task folding = Task.CompletedTask;
    private bool opened; // under appendTurn
    private bool closed; // under appendTurn
    private long folds;

    public AuditJournal(AuditStore store, SqliteDialect dialect, StoreRetry retry, string databasePath, TimeSpan foldEvery)
    {
        this.foldEvery = foldEvery;
        this.store = store;
        this.dialect = dialect;
        this.retry = retry;
        this.databasePath = Path.GetFullPath(databasePath);
        folder = Path.GetDirectoryName(this.databasePath)!;
        prefix = Prefix(databasePath);
        timer = TimeProvider.System.CreateTimer(_ => StartFold(), null, foldEvery, foldEvery);
    }

    /// <summary>The journal files beside a database file, every process's, in name order.</summary>
    internal static IEnumerable<string> FilesBeside(string databasePath) =>
        Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(databasePath))!, Prefix(databasePath) + "*.journal").Order(StringComparer.Ordinal);

    // Each file's name: the database file's, this, an id, ".journal".
    private static string Prefix(string databasePath) => Path.GetFileName(databasePath) + "-audit-";

    /// <summary>How many folds have stored records so far.</summary>
    public long Folds => Interlocked.Read(ref folds);

    /// <summary>The journal files of this process still on disk, for tests.</summary>
    internal IReadOnlyList<string> OpenFiles
    {
        get
        {
            lock (pendingLock)
            {
                return [.. retired.Select(s => s.Path).Concat(current is { } c ? [c.Path] : Array.Empty<string>())];
            }
        }
    }

    /// <summary>
    /// Stores the records of journal files that no running process holds (left by a crash), then deletes them. Run
    /// once the schema is migrated; the first append or search runs it otherwise.
    /// </summary>
    public void Recover()
    {
        appendTurn.Wait();
        try
        {
            RecoverHeld();
        }
        finally
        {
            appendTurn.Release();
        }
    }

    public async Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await appendTurn.WaitAsync(cancellationToken);
        try
        {
            if (closed)
            {
                // After shutdown began: straight to the database, as on SQL Server.
                await store.AppendAsync(entries, cancellationToken);
                return;
            }

            RecoverHeld();
            if (current is { Broken: true } broken)
            {
                lock (pendingLock)
                {
                    retired.Add(broken);
                    current = null;
                }
            }

            var segment = current ??= Segment.Create(folder, prefix);
            buffer.ResetWrittenCount();
            var first = nextSequence;
            using (var writer = new Utf8JsonWriter(buffer))
            {
                for (var i = 0; i < entries.Count; i++)
                {
                    Write(writer, first + i, entries[i]);
                    writer.Flush();
                    writer.Reset();
                    buffer.Write("\n"u8);
                }
            }

            segment.Append(buffer.WrittenSpan);
            nextSequence += entries.Count;
            segment.Last = nextSequence - 1;
            lock (pendingLock)
            {
                if (pending.Count == 0)
                {
                    oldestPending = Environment.TickCount64;
                }

                for (var i = 0; i < entries.Count; i++)
                {
                    pending.Add(new Pending(segment, first + i, entries[i]));
                }

                if (segment.Length >= SegmentBytes)
                {
                    retired.Add(segment);
                    current = null;
                }
            }
        }
        finally
        {
            appendTurn.Release();
        }

        StartFold();
    }

    public async Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await FoldAsync(cancellationToken);
        return await store.SearchAsync(query, cancellationToken);
    }

    public async Task<AuditEntry?> ReadAsync(long key, CancellationToken cancellationToken)
    {
        await FoldAsync(cancellationToken);
        return await store.ReadAsync(key, cancellationToken);
    }

    /// <summary>Stores every record appended so far in the database, and deletes the files that are then all stored.</summary>
    public async Task FoldAsync(CancellationToken cancellationToken)
    {
        if (!opened)
        {
            Recover();
        }

        await foldTurn.WaitAsync(cancellationToken);
        try
        {
            List<Pending> batch;
            lock (pendingLock)
            {
                batch = pending;
                pending = [];
            }

            var stored = 0;
            try
            {
                while (stored < batch.Count)
                {
                    // One chunk of one file per transaction, with the mark of how far that file is stored.
                    var segment = batch[stored].Segment;
                    var end = stored;
                    while (end < batch.Count && end - stored < FoldChunk && batch[end].Segment == segment)
                    {
                        end++;
                    }

                    await store.AppendAsync([.. batch[stored..end].Select(p => p.Entry)], dialect, segment.Id, batch[end - 1].Sequence, cancellationToken);
                    segment.Folded = batch[end - 1].Sequence;
                    stored = end;
                }
            }
            finally
            {
                if (stored < batch.Count)
                {
                    lock (pendingLock)
                    {
                        pending.InsertRange(0, batch[stored..]);
                        oldestPending = Environment.TickCount64;
                    }
                }
            }

            if (batch.Count > 0)
            {
                Interlocked.Increment(ref folds);
            }

            List<Segment> done;
            lock (pendingLock)
            {
                done = [.. retired.Where(s => s.Folded >= s.Last)];
                retired.RemoveAll(done.Contains);
            }

            foreach (var segment in done)
            {
                await ForgetAsync(segment.Id, segment.Delete, cancellationToken);
            }
        }
        finally
        {
            foldTurn.Release();
        }
    }

    /// <summary>Folds in the background when enough records wait or the oldest has waited long enough; one fold at a time.</summary>
    private void StartFold()
    {
        lock (pendingLock)
        {
            var due = pending.Count >= FoldAt || (pending.Count > 0 && Environment.TickCount64 - oldestPending >= foldEvery.TotalMilliseconds);
            if (!due || !folding.IsCompleted)
            {
                return;
            }

            folding = Task.Run(async () =>
            {
                try
                {
                    await FoldAsync(CancellationToken.None);
                }
                catch (Exception)
                {
                    // The database is busy or unavailable: the records stay in the file and in memory, and the next fold stores them.
                }
            });
        }
    }

    /// <summary>At shutdown: folds everything, closes and deletes this process's files. Later appends go to the database directly.</summary>
    public async ValueTask DisposeAsync()
    {
        await timer.DisposeAsync();
        await appendTurn.WaitAsync();
        try
        {
            closed = true;
            if (current is { } segment)
            {
                lock (pendingLock)
                {
                    retired.Add(segment);
                    current = null;
                }
            }
        }
        finally
        {
            appendTurn.Release();
        }

        Task running;
        lock (pendingLock)
        {
            running = folding;
        }

        await running;
        try
        {
            await FoldAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // Not stored now: the files stay, and the next start stores them.
        }

        lock (pendingLock)
        {
            retired.ForEach(s => s.Close());
        }
    }

    /// <summary>
    /// For tests of recovery: leaves the files as a crash (kill -9) would, closed but neither folded nor deleted, and
    /// sends later appends to the database directly.
    /// </summary>
    internal void Abandon()
    {
        appendTurn.Wait();
        try
        {
            closed = true;
            timer.Dispose();
            lock (pendingLock)
            {
                pending = [];
                current?.Close();
                retired.ForEach(s => s.Close());
                retired.Clear();
                current = null;
            }
        }
        finally
        {
            appendTurn.Release();
        }
    }

    // Under appendTurn: the first time, stores what journal files left by earlier processes hold and deletes them.
    private void RecoverHeld()
    {
        if (opened)
        {
            return;
        }

        // A file still being prepared (zeroed, then renamed) when its process died holds no records: it is only deleted.
        // One that a running process is preparing is held by it, and left to it.
        foreach (var path in Directory.EnumerateFiles(folder, prefix + "*.journal.new"))
        {
            try
            {
                new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose();
                File.Delete(path);
            }
            catch (IOException)
            {
                // held by a running instance, or gone already
            }
        }

        foreach (var path in FilesBeside(databasePath))
        {
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // held by a running instance, or gone already
            }

            var id = Path.GetFileNameWithoutExtension(path)[prefix.Length..];
            using (file)
            {
                var folded = retry.ReadAsync((connection, token) => connection.ExecuteScalarAsync<long?>(
                    new CommandDefinition(dialect.AuditJournalFoldedSql, new { JournalId = id }, cancellationToken: token)), CancellationToken.None).GetAwaiter().GetResult() ?? 0;
                var left = Read(file).Where(r => r.Sequence > folded).ToList();
                for (var i = 0; i < left.Count; i += FoldChunk)
                {
                    var chunk = left[i..Math.Min(left.Count, i + FoldChunk)];
                    store.AppendAsync([.. chunk.Select(r => r.Entry)], dialect, id, chunk[^1].Sequence, CancellationToken.None).GetAwaiter().GetResult();
                }
            }

            ForgetAsync(id, () => File.Delete(path), CancellationToken.None).GetAwaiter().GetResult();
        }

        opened = true;
    }

    // Deletes the file first: a mark without its file is harmless, a file without its mark would be stored twice.
    private Task ForgetAsync(string id, Action delete, CancellationToken cancellationToken)
    {
        delete();
        return retry.WriteAsync((connection, transaction, _) => connection.ExecuteAsync(dialect.ForgetAuditJournalSql, new { JournalId = id }, transaction), cancellationToken);
    }

    /// <summary>
    /// The records of a journal file, in order, up to the end of what was written: a zero byte (the file is made of
    /// zeros ahead of its records) or a line without its newline. Only the last group written before a crash can be
    /// torn, and it was never acknowledged, so reading stops there. A complete line that is not a record is skipped.
    /// </summary>
    internal static List<(long Sequence, AuditEntry Entry)> Read(Stream file)
    {
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        var records = new List<(long, AuditEntry)>();
        while (bytes.Length > 0 && bytes.Span[0] != 0)
        {
            var end = bytes.Span.IndexOf((byte)'\n');
            if (end < 0 || bytes.Span[..end].Contains((byte)0))
            {
                break;
            }

            try
            {
                records.Add(Parse(bytes[..end]));
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // Not a record: skipped.
            }

            bytes = bytes[(end + 1)..];
        }

        return records;
    }

    private static void Write(Utf8JsonWriter writer, long sequence, AuditEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteNumber("seq"u8, sequence);
        writer.WriteNumber("recorded"u8, entry.Recorded.ToUnixTimeMilliseconds());
        writer.WriteString("action"u8, entry.Action);
        writer.WriteString("interaction"u8, entry.Interaction);
        writer.WriteString("resourceType"u8, entry.ResourceType);
        writer.WriteString("resourceId"u8, entry.ResourceId);
        writer.WriteNumber("status"u8, entry.Status);
        writer.WriteString("callerKind"u8, entry.CallerKind);
        writer.WriteString("subject"u8, entry.Subject);
        writer.WriteString("subjectName"u8, entry.SubjectName);
        writer.WriteString("clientId"u8, entry.ClientId);
        writer.WriteString("roles"u8, entry.Roles);
        writer.WriteString("requestId"u8, entry.RequestId);
        writer.WriteStartArray("patients"u8);
        foreach (var patient in entry.Patients)
        {
            writer.WriteStringValue(patient);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static (long, AuditEntry) Parse(ReadOnlyMemory<byte> line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        string? Text(string name) => root.GetProperty(name).GetString();
        return (root.GetProperty("seq").GetInt64(), new AuditEntry(
            DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("recorded").GetInt64()),
            Text("action")!, Text("interaction")!, Text("resourceType"), Text("resourceId"), root.GetProperty("status").GetInt32(),
            Text("callerKind")!, Text("subject")!, Text("subjectName"), Text("clientId"), Text("roles"), Text("requestId"),
            [.. root.GetProperty("patients").EnumerateArray().Select(p => p.GetString()!)]));
    }

    private sealed record Pending(Segment Segment, long Sequence, AuditEntry Entry);

    /// <summary>One journal file: appended to and fsynced by one process, which holds it locked.</summary>
    private sealed class Segment
    {
        private readonly FileStream file;

        private Segment(string id, string path, FileStream file)
        {
            Id = id;
            Path = path;
            this.file = file;
        }

        public string Id { get; }

        public string Path { get; }

        public long Length { get; private set; }

        public long Last { get; set; }

        public long Folded { get; set; }

        /// <summary>
        /// Creates a file, locked shared (readers may look; recovery, which locks exclusively, cannot take it), under a
        /// name recovery does not look at, then renames it and fsyncs the folder: recovery never sees it unlocked, and a
        /// crash cannot lose its name.
        /// </summary>
        public static Segment Create(string folder, string prefix)
        {
            // Names sort by creation, so that recovery stores older files first.
            var id = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}";
            var path = System.IO.Path.Combine(folder, prefix + id + ".journal");
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.Read,
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var file = new FileStream(path + ".new", options);
            try
            {
                // Zeros to the full size, on disk, before the first record (see Append).
                var zeros = new byte[64 * 1024];
                for (long at = 0; at < Preallocated; at += zeros.Length)
                {
                    RandomAccess.Write(file.SafeFileHandle, zeros, at);
                }

                RandomAccess.FlushToDisk(file.SafeFileHandle);
                File.Move(path + ".new", path);
                SyncFolder(folder);
            }
            catch
            {
                file.Dispose();
                File.Delete(path + ".new");
                throw;
            }

            return new Segment(id, path, file);
        }

        private static void SyncFolder(string folder)
        {
            if (OperatingSystem.IsWindows())
            {
                return; // NTFS journals names itself; a folder cannot be opened to flush it
            }

            Native.Flush(folder, dataOnly: false, "the audit journal's folder");
        }

        /// <summary>
        /// Writes the bytes after the last record and flushes them to disk (<c>fdatasync</c>: the file was made of zeros at
        /// its full size first, so an append changes no metadata and needs no filesystem journal commit). On failure, the
        /// bytes are zeroed if possible, and the file takes no more appends (<see cref="Broken"/>).
        /// </summary>
        public void Append(ReadOnlySpan<byte> bytes)
        {
            var handle = file.SafeFileHandle;
            try
            {
                RandomAccess.Write(handle, bytes, Length);
                DataSync(handle);
            }
            catch
            {
                Broken = true;
                try
                {
                    RandomAccess.Write(handle, new byte[bytes.Length], Length);
                    DataSync(handle);
                }
                catch (IOException)
                {
                    // Left as it is: those lines were never acknowledged, and reading stops at the first torn one.
                }

                throw;
            }

            Length += bytes.Length;
        }

        /// <summary>Set when an append failed: the next append starts a new file.</summary>
        public bool Broken { get; private set; }

        private static void DataSync(SafeFileHandle handle)
        {
            if (!OperatingSystem.IsLinux())
            {
                RandomAccess.FlushToDisk(handle);
                return;
            }

            var added = false;
            handle.DangerousAddRef(ref added);
            try
            {
                if (Native.Fdatasync((int)handle.DangerousGetHandle()) != 0)
                {
                    throw new IOException($"fdatasync of an audit journal file failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        public void Close() => file.Dispose();

        public void Delete()
        {
            file.Dispose();
            File.Delete(Path);
        }
    }
}

/// <summary>The libc calls .NET has no API for: fsync of a folder, so that a new file's name survives a crash, and fdatasync.</summary>
internal static class Native
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int Fsync(int descriptor);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static extern int Fdatasync(int descriptor);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int descriptor);

    /// <summary>Opens <paramref name="path"/> (a file or a folder) read-only and flushes it to disk: its data alone (<c>fdatasync</c>), or with its metadata (<c>fsync</c>).</summary>
    public static void Flush(string path, bool dataOnly, string what)
    {
        var descriptor = Open(path, 0); // O_RDONLY: flushing needs no write access
        if (descriptor < 0)
        {
            throw new IOException($"Could not open {what} to flush it (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if ((dataOnly ? Fdatasync(descriptor) : Fsync(descriptor)) != 0)
            {
                throw new IOException($"Could not flush {what} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }
}
