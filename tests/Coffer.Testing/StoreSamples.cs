using System.Security.Cryptography;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "coffer-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves by hand (its timestamps and its wall clock move together).</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => Start.AddTicks(Interlocked.Read(ref _ticks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>Sample records.</summary>
public static class Sample
{
    /// <summary>An instant with sub-millisecond ticks, to see they survive.</summary>
    public static readonly DateTimeOffset Instant = new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero).AddTicks(5358979);

    public static string BlobId() => RandomNumberGenerator.GetHexString(32, lowercase: true);

    public static ObjectRecord Object(string bucket, string key, params string[] blobIds) => new()
    {
        Bucket = bucket,
        Key = key,
        Size = 11,
        ETag = "5eb63bbbe01eeed093cb22bb8f5acdc3",
        Crc64 = 0x1234_5678_9abc_def0,
        LastModified = Instant,
        Streams = (blobIds.Length == 0 ? [BlobId()] : blobIds)
            .Select((id, i) => new ObjectStream(id, 11, blobIds.Length > 1 ? $"part:{i + 1}" : "object", 60, "00112233445566778899aabbccddeeff"))
            .ToList(),
    };

    public static IEnumerable<string> BlobIdsOf(ObjectRecord obj) => obj.Streams.Select(s => s.BlobId);
}

/// <summary>Field-by-field comparison (records hold arrays and lists, compared by reference by Equals).</summary>
public static class AssertRecord
{
    public static void Equal(ObjectRecord expected, ObjectRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Bucket, actual.Bucket);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Size, actual.Size);
        Assert.Equal(expected.ETag, actual.ETag);
        Assert.Equal(expected.Crc64, actual.Crc64);
        Assert.Equal(expected.LastModified, actual.LastModified);
        Assert.Equal(expected.LastModified.UtcTicks, actual.LastModified.UtcTicks);
        Assert.Equal(expected.Streams, actual.Streams);
        Assert.Equal(expected.Encryption.Mode, actual.Encryption.Mode);
        Assert.Equal(expected.Encryption.Cipher, actual.Encryption.Cipher);
        Assert.Equal(expected.Encryption.SealedKey, actual.Encryption.SealedKey);
        Assert.Equal(expected.Encryption.KmsKeyId, actual.Encryption.KmsKeyId);
        Assert.Equal(expected.Encryption.KmsContext, actual.Encryption.KmsContext);
        Assert.Equal(expected.StorageClass, actual.StorageClass);
        Assert.Equal(expected.ContentType, actual.ContentType);
        Assert.Equal(expected.CacheControl, actual.CacheControl);
        Assert.Equal(expected.ContentDisposition, actual.ContentDisposition);
        Assert.Equal(expected.ContentEncoding, actual.ContentEncoding);
        Assert.Equal(expected.Expires, actual.Expires);
        Assert.Equal(expected.UserMetadata.OrderBy(p => p.Key, StringComparer.Ordinal), actual.UserMetadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Checksums.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Checksums.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Restore, actual.Restore);
    }
}
