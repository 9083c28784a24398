using System.Buffers;
using System.Security.Cryptography;
using Coffer.Protocol.Checksums;

namespace Coffer.Sdk.Transfer;

/// <summary>CRC-64 and MD5 of a file range, read once.</summary>
internal static class FileHashing
{
    public static async Task<(ulong Crc, byte[]? Md5)> HashRangeAsync(string path, long offset, long length, bool md5, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
            var crc = new Crc64Xz();
            using var hash = md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            long position = offset;
            long end = offset + length;
            while (position < end)
            {
                int want = (int)Math.Min(buffer.Length, end - position);
                int n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, want), position, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new CosClientException(CosClientErrorKind.SizeMismatch, $"The file '{path}' ended at {position}; it changed while being read.");
                }

                crc.Append(buffer.AsSpan(0, n));
                hash?.AppendData(buffer, 0, n);
                position += n;
            }

            return (crc.Value, hash?.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The file '{path}' could not be read: {e.Message}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>CRC-64 of consecutive parts combined.</summary>
    public static ulong Combine(IEnumerable<(ulong Crc, long Length)> parts)
    {
        ulong crc = 0;
        bool first = true;
        foreach (var (partCrc, length) in parts)
        {
            crc = first ? partCrc : Crc64Xz.Combine(crc, partCrc, length);
            first = false;
        }

        return crc;
    }

    public static string Unquote(string? etag) => (etag ?? "").Trim().Trim('"');
}
