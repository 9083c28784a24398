using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Audit;

/// <summary>
/// The KMS audit log: one JSON line per key use, in <c>audit/kms-YYYYMMDD.jsonl</c> (UTC date) of the data folder,
/// or, when the metadata backend keeps a shared log (<see cref="IKmsAuditStore"/>, PostgreSQL), one row per key use
/// in its <c>kms_audit</c> table, so the log covers every node sharing the database.
/// <para>
/// Each entry is appended with one write at the file's current end under an advisory lock on the file, so the
/// server and a concurrent <c>coffer admin rekey</c> can share the file without tearing lines. Entries reach the
/// operating system before <see cref="Write"/> returns (no buffering in the process; no fsync per line), so a
/// crash of the process loses none; a power loss may lose the last ones. The log is best effort: a failure to
/// write (a full disk) is reported to the server log and does not fail the key use.
/// </para>
/// <para>
/// On a database the entries go through a bounded queue (<see cref="DatabaseQueueCapacity"/>) to one writer that
/// appends them in batches, off the request path: <see cref="Write"/> never waits on the database. The log is best
/// effort there too: when the database refuses a batch, or the queue is full because it is slow, the entries are
/// dropped and that is reported to the server log (once until a batch is written again). Disposing the log writes
/// what is queued (waiting at most <see cref="DrainTimeout"/>).
/// </para>
/// Thread-safe. Files are created 0600: the log tells who used which key, which is nobody else's business.
/// </summary>
public sealed class KmsAuditLog : IDisposable
{
    /// <summary>Name of the folder under the data folder.</summary>
    public const string FolderName = "audit";

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Entries a database log queues at most; further entries are dropped (and reported) until it drains.</summary>
    public const int DatabaseQueueCapacity = 10_000;

    /// <summary>Entries a database log appends in one batch at most.</summary>
    public const int DatabaseBatchSize = 500;

    /// <summary>How long disposing a database log waits for its queue to be written.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly string? _directory;
    private readonly IKmsAuditStore? _store;
    private readonly Channel<object>? _queue; // entries, and the TaskCompletionSource of each flush
    private readonly Task? _writer;
    private int _dbWarned;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    // fcntl locks exclude other processes only; instances of one process that share a folder share this gate.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> Gates = new(StringComparer.Ordinal);

    private readonly object _gate;
    private FileStream? _file;
    private string? _fileName;
    private bool _warned;
    private bool _checkTail;

    /// <summary>Writes to <paramref name="directory"/> (created when needed).</summary>
    /// <param name="directory">The audit folder, normally <see cref="FolderOf"/>(data folder).</param>
    /// <param name="time">Clock for entry times and file dates.</param>
    /// <param name="log">Where write failures are reported (once until a write succeeds again).</param>
    public KmsAuditLog(string directory, TimeProvider? time = null, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        _time = time ?? TimeProvider.System;
        _log = log;
        _gate = Gates.GetOrAdd(_directory, _ => new object());
    }

    /// <summary>Writes to the metadata backend's shared log (<paramref name="store"/>), in batches off the caller's thread.</summary>
    /// <param name="store">The backend's audit table.</param>
    /// <param name="time">Clock for entry times.</param>
    /// <param name="log">Where write failures and dropped entries are reported (once until a batch is written again).</param>
    public KmsAuditLog(IKmsAuditStore store, TimeProvider? time = null, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time ?? TimeProvider.System;
        _log = log;
        _gate = new object();
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(DatabaseQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the entry is dropped and reported
            SingleReader = false, // one writer, but Dispose takes what it left after the drain timeout
        });
        _writer = Task.Run(WriteBatchesAsync);
    }

    /// <summary>The shared log this one writes to, or null when it writes files (or nothing).</summary>
    public IKmsAuditStore? Store => _store;

    private KmsAuditLog()
    {
        _time = TimeProvider.System;
        _gate = new object();
    }

    /// <summary>A log that drops every entry (for services built without a data folder, e.g. in unit tests).</summary>
    public static KmsAuditLog Disabled { get; } = new();

    /// <summary>The audit folder of a data folder.</summary>
    public static string FolderOf(string dataDirectory) => Path.Combine(dataDirectory, FolderName);

    /// <summary>The file that holds the entries of <paramref name="date"/>'s UTC day.</summary>
    public static string FileNameFor(DateTimeOffset date) => $"kms-{date.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>Appends one entry (its <see cref="KmsAuditEntry.Time"/> is set to now when left default).</summary>
    public void Write(KmsAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_directory is null && _queue is null)
        {
            return;
        }

        if (entry.Time == default)
        {
            entry = entry with { Time = _time.GetUtcNow() };
        }

        if (_queue is not null)
        {
            if (!_queue.Writer.TryWrite(entry) && Interlocked.Exchange(ref _dbWarned, 1) == 0)
            {
                _log?.LogWarning("The KMS audit log's queue to the metadata database is full; key uses go unrecorded until it drains.");
            }

            return;
        }

        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        lock (_gate)
        {
            try
            {
                var file = OpenFor(entry.Time);
                bool locked = LockAcrossProcesses(file);
                try
                {
                    // One write at the current end: another process may have appended since our last write.
                    long end = RandomAccess.GetLength(file.SafeFileHandle);
                    if (_checkTail && end > 0)
                    {
                        // A writer that crashed mid-line left a torn tail: start on a line of our own.
                        Span<byte> last = stackalloc byte[1];
                        if (RandomAccess.Read(file.SafeFileHandle, last, end - 1) == 1 && last[0] != (byte)'\n')
                        {
                            RandomAccess.Write(file.SafeFileHandle, "\n"u8, end);
                            end++;
                        }
                    }

                    _checkTail = false;
                    RandomAccess.Write(file.SafeFileHandle, line, end);
                }
                finally
                {
                    if (locked && !OperatingSystem.IsMacOS())
                    {
                        file.Unlock(0, 1);
                    }
                }

                _warned = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                CloseFile();
                if (!_warned)
                {
                    _warned = true;
                    _log?.LogWarning("The KMS audit log could not be written ({Error}); key uses go unrecorded until it can.", e.Message);
                }
            }
        }
    }

    /// <summary>Waits until the entries written so far are in the database (a file log has nothing to wait for).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        if (_queue is null)
        {
            return;
        }

        // A marker behind the entries written so far: the writer completes it once they are appended (or dropped).
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(done))
        {
            return; // full or closed: nothing sensible to wait for
        }

        await done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task WriteBatchesAsync()
    {
        var reader = _queue!.Reader;
        var batch = new List<KmsAuditRecord>(DatabaseBatchSize);
        var flushes = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < DatabaseBatchSize && reader.TryRead(out var item))
            {
                if (item is TaskCompletionSource flush)
                {
                    flushes.Add(flush);
                    continue;
                }

                var entry = (KmsAuditEntry)item;
                batch.Add(new KmsAuditRecord(0, entry.Time, entry.KeyId, entry.SourceKeyId, JsonSerializer.Serialize(entry, Json)));
            }

            if (batch.Count > 0)
            {
                try
                {
                    await _store!.AppendKmsAuditAsync(batch).ConfigureAwait(false);
                    Interlocked.Exchange(ref _dbWarned, 0);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (Interlocked.Exchange(ref _dbWarned, 1) == 0)
                    {
                        _log?.LogWarning("The KMS audit log could not be written to the metadata database ({Error}); {Count} key uses went unrecorded, and more will until it can.", e.Message, batch.Count);
                    }
                }

                batch.Clear();
            }

            foreach (var done in flushes)
            {
                done.TrySetResult();
            }

            flushes.Clear();
        }
    }

    /// <summary>
    /// Reads the entries of every audit file in <paramref name="directory"/>, oldest file first, skipping files of days
    /// before <paramref name="since"/> (entries are not filtered by time here). A line that does not parse (cut short
    /// by a crash) is skipped.
    /// </summary>
    public static async IAsyncEnumerable<KmsAuditEntry> ReadAsync(string directory, DateTimeOffset? since = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        string? first = since is { } s ? FileNameFor(s) : null;
        var files = Directory.EnumerateFiles(directory, "kms-*.jsonl")
            .Select(Path.GetFileName)
            .Where(name => first is null || string.CompareOrdinal(name, first) >= 0)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var name in files)
        {
            using var reader = new StreamReader(new FileStream(Path.Combine(directory, name!), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                KmsAuditEntry? entry;
                try
                {
                    entry = JsonSerializer.Deserialize<KmsAuditEntry>(line, Json);
                }
                catch (JsonException)
                {
                    continue;
                }

                if (entry is not null)
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>
    /// Records the key changes no API call stands for: destroyed material (<c>DestroyKey</c>, whether by the job or
    /// lazily on access) and automatic rotations (<c>RotateKey</c>). Dispose the result to stop.
    /// </summary>
    /// <param name="kms">The KMS whose <see cref="KeyManager.KeyChanged"/> to follow.</param>
    /// <param name="source">The entries' source: <c>server</c>, or <c>admin</c> for a command.</param>
    public IDisposable RecordKeyEvents(KeyManager kms, string source)
    {
        ArgumentNullException.ThrowIfNull(kms);
        void OnChanged(KmsKeyEvent e)
        {
            if (e.Kind == KmsKeyEventKind.Destroyed)
            {
                Write(new KmsAuditEntry { Source = source, Operation = "DestroyKey", KeyId = e.KeyId, Outcome = KmsAuditEntry.Ok });
            }
            else if (e is { Kind: KmsKeyEventKind.Rotated, RotationType: KmsRotationType.Automatic })
            {
                Write(new KmsAuditEntry
                {
                    Source = source,
                    Operation = "RotateKey",
                    KeyId = e.KeyId,
                    KeyVersion = e.Version,
                    RotationType = "AUTOMATIC",
                    Outcome = KmsAuditEntry.Ok,
                });
            }
        }

        kms.KeyChanged += OnChanged;
        return new Subscription(() => kms.KeyChanged -= OnChanged);
    }

    /// <summary>Closes the current file; a database log writes what is queued first (waiting at most <see cref="DrainTimeout"/>).</summary>
    public void Dispose()
    {
        if (_queue is not null && _queue.Writer.TryComplete())
        {
            try
            {
                _writer!.Wait(DrainTimeout);
            }
            catch (AggregateException)
            {
                // The writer catches its failures; nothing more to report here.
            }

            // Flushes the writer did not reach in time.
            while (_queue.Reader.TryRead(out var item))
            {
                (item as TaskCompletionSource)?.TrySetResult();
            }
        }

        lock (_gate)
        {
            CloseFile();
        }
    }

    private FileStream OpenFor(DateTimeOffset time)
    {
        string name = FileNameFor(time);
        if (_file is not null && string.Equals(name, _fileName, StringComparison.Ordinal))
        {
            return _file;
        }

        CloseFile();
        Coffer.Storage.OwnerOnly.CreateDirectory(_directory!);
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _file = new FileStream(Path.Combine(_directory!, name), options);
        _fileName = name;
        _checkTail = true;
        return _file;
    }

    /// <summary>
    /// Takes the advisory lock every audit writer takes (byte 0 of the file) so appends of two processes do not
    /// interleave; waits up to two seconds, then writes anyway rather than lose the entry.
    /// </summary>
    private static bool LockAcrossProcesses(FileStream file)
    {
        if (OperatingSystem.IsMacOS())
        {
            return false; // .NET has no region locks there; lines of two processes could then interleave
        }

        var deadline = Environment.TickCount64 + 2000;
        while (true)
        {
            try
            {
                file.Lock(0, 1);
                return true;
            }
            catch (PlatformNotSupportedException)
            {
                return false;
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(1);
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    private sealed class Subscription(Action undo) : IDisposable
    {
        private Action? _undo = undo;

        public void Dispose() => Interlocked.Exchange(ref _undo, null)?.Invoke();
    }

    private void CloseFile()
    {
        _file?.Dispose();
        _file = null;
        _fileName = null;
    }
}
