using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coffer.Sdk.Transfer;

/// <summary>One finished part of a transfer: its number, ETag (uploads) and the CRC-64 of its bytes.</summary>
internal sealed class CheckpointPart
{
    public int PartNumber { get; set; }
    public string? ETag { get; set; }
    public long Size { get; set; }
    public ulong Crc64 { get; set; }
}

/// <summary>
/// What an interrupted multipart upload needs to resume: the upload id and the file and SSE
/// settings it belongs to (the SSE-C key only as its MD5), and the parts already sent.
/// </summary>
internal sealed class UploadCheckpoint
{
    public int Version { get; set; } = 1;
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public string LocalFilePath { get; set; } = "";
    public long FileSize { get; set; }
    public long FileLastWriteUtcTicks { get; set; }
    public long PartSize { get; set; }
    public string UploadId { get; set; } = "";
    public string SseFingerprint { get; set; } = "";
    public List<CheckpointPart> Parts { get; set; } = [];
}

/// <summary>
/// What an interrupted download needs to resume: the object's identity (ETag, size,
/// Last-Modified), the temporary file and the ranges already written.
/// </summary>
internal sealed class DownloadCheckpoint
{
    public int Version { get; set; } = 1;
    public string Bucket { get; set; } = "";
    public string Key { get; set; } = "";
    public string? VersionId { get; set; }
    public string DestFilePath { get; set; } = "";
    public string TempFilePath { get; set; } = "";
    public string? ETag { get; set; }
    public long Size { get; set; }
    public string? LastModified { get; set; }
    public long PartSize { get; set; }
    public List<CheckpointPart> Parts { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(UploadCheckpoint))]
[JsonSerializable(typeof(DownloadCheckpoint))]
internal sealed partial class CheckpointJson : JsonSerializerContext
{
}

/// <summary>Reads and writes checkpoint files atomically (write a temporary file, then rename).</summary>
internal sealed class CheckpointStore<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    where T : class
{
    private readonly Lock _lock = new();

    public string Path { get; } = path;

    public static string DefaultPath(string? directory, string kind, params string[] identity)
    {
        string dir = directory ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "coffer-sdk");
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", identity))))[..32];
        return System.IO.Path.Combine(dir, $"{kind}-{hash}.json");
    }

    public T? Load()
    {
        try
        {
            if (!File.Exists(Path))
            {
                return null;
            }

            return JsonSerializer.Deserialize(File.ReadAllBytes(Path), type);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(T value)
    {
        lock (_lock)
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
                string temp = Path + ".tmp";
                File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(value, type));
                File.Move(temp, Path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CosClientException(CosClientErrorKind.Io, $"The checkpoint file '{Path}' could not be written: {e.Message}", e);
            }
        }
    }

    public void Delete()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale checkpoint is checked before use; leaving it is harmless.
        }
    }
}

/// <summary>Sums bytes over parts (each part's count may restart when its request is retried) and reports progress.</summary>
internal sealed class ProgressTracker(long total, long alreadyDone, Action<TransferProgress>? callback)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _thisRun;

    public long Total => total;

    /// <summary>Records that <paramref name="delta"/> more bytes (may be negative when a part restarts) were transferred.</summary>
    public void Add(long delta)
    {
        long now = Interlocked.Add(ref _thisRun, delta);
        if (callback is not null)
        {
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            callback(new TransferProgress(Math.Min(total, alreadyDone + now), total, now / seconds));
        }
    }

    /// <summary>A per-part reporter for a callback that gives the part's cumulative count.</summary>
    public Action<long, long?> ForPart()
    {
        long last = 0;
        return (sent, _) =>
        {
            long previous = Interlocked.Exchange(ref last, sent);
            Add(sent - previous);
        };
    }
}
