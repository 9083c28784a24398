using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Coffer.Security.Tests;

/// <summary>
/// No plaintext MD5 of SSE-C or SSE-KMS data is stored: not for a part of an upload in progress
/// (it tells equal parts apart and confirms a guessed content), not for the completed object, not
/// for a single PUT. The ETags clients see do not change: keyed for those modes, the MD5 otherwise.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class PartMd5Tests(TenantsFixture t)
{
    public enum Sse { None, SseS3, SseC, SseKms }

    private static readonly byte[] First = RandomNumberGenerator.GetBytes(1024 * 1024 + 17);
    private static readonly byte[] Last = RandomNumberGenerator.GetBytes(4000);

    [Theory]
    [InlineData(Sse.SseC)]
    [InlineData(Sse.SseKms)]
    public async Task Encrypted_parts_leave_no_plaintext_md5_in_the_database_and_complete_with_the_same_etags(Sse mode)
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pmd5");
        await s3.PutBucketAsync(bucket);
        var kmsKey = mode == Sse.SseKms ? (await t.Server.Server.Services.Kms.CreateKeyAsync(t.Alice.Id, "part md5")).KeyId : null;

        var init = new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp" };
        Apply(init, mode, kmsKey);
        var uploadId = (await s3.InitiateMultipartUploadAsync(init)).UploadId;
        var etags = new List<string>();
        foreach (var (number, data) in new[] { (1, First), (2, Last) })
        {
            var part = new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data) };
            Apply(part, mode);
            etags.Add((await s3.UploadPartAsync(part)).ETag.Trim('"'));
        }

        // Keyed, not the MD5 a client (or anyone reading the database) could compute from a guess.
        Assert.NotEqual(Md5Hex(First), etags[0]);
        Assert.NotEqual(Md5Hex(Last), etags[1]);
        Assert.All(etags, e => Assert.Matches("^[0-9a-f]{32}$", e));

        var rows = await RowsAsync("SELECT * FROM multipart_parts WHERE upload_id = $id;", ("$id", uploadId));
        Assert.Equal(2, rows.Count);
        foreach (var data in new[] { First, Last })
            AssertNoDigestOf(data, rows);
        // What Complete needs is there: each part's ETag as UploadPart answered it.
        Assert.Contains(rows, r => r.Contains(etags[0], StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains(etags[1], StringComparison.Ordinal));

        var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = uploadId };
        complete.AddPartETags(etags.Select((e, i) => new PartETag(i + 1, e)));
        var completed = await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal(MultipartETag(etags), completed.ETag.Trim('"'));

        var get = new GetObjectRequest { BucketName = bucket, Key = "mp" };
        Apply(get, mode);
        using (var got = await s3.GetObjectAsync(get))
        {
            Assert.Equal(completed.ETag, got.ETag);
            using var buffer = new MemoryStream();
            await got.ResponseStream.CopyToAsync(buffer);
            Assert.Equal(First.Concat(Last).ToArray(), buffer.ToArray());
        }

        var objectRows = await RowsAsync("SELECT * FROM objects WHERE bucket = $b AND object_key = 'mp';", ("$b", bucket));
        Assert.Single(objectRows);
        foreach (var data in new[] { First, Last, First.Concat(Last).ToArray() })
            AssertNoDigestOf(data, objectRows);
    }

    [Theory]
    [InlineData(Sse.SseC)]
    [InlineData(Sse.SseKms)]
    public async Task A_single_encrypted_put_stores_no_plaintext_md5(Sse mode)
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pmd5");
        await s3.PutBucketAsync(bucket);
        var kmsKey = mode == Sse.SseKms ? (await t.Server.Server.Services.Kms.CreateKeyAsync(t.Alice.Id, "put md5")).KeyId : null;
        var put = new PutObjectRequest { BucketName = bucket, Key = "one", InputStream = new MemoryStream(Last) };
        Apply(put, mode, kmsKey);
        var etag = (await s3.PutObjectAsync(put)).ETag.Trim('"');

        Assert.NotEqual(Md5Hex(Last), etag);
        var rows = await RowsAsync("SELECT * FROM objects WHERE bucket = $b AND object_key = 'one';", ("$b", bucket));
        Assert.Single(rows);
        AssertNoDigestOf(Last, rows);
    }

    [Theory]
    [InlineData(Sse.None)]
    [InlineData(Sse.SseS3)]
    public async Task Plain_and_sse_cos_parts_keep_the_md5_as_their_etag_by_s3_convention(Sse mode)
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pmd5");
        await s3.PutBucketAsync(bucket);
        var init = new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp" };
        Apply(init, mode, null);
        var uploadId = (await s3.InitiateMultipartUploadAsync(init)).UploadId;
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(Last) });
        Assert.Equal(Md5Hex(Last), part.ETag.Trim('"'));

        var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = uploadId };
        complete.AddPartETags(new PartETag(1, part.ETag));
        Assert.Equal(MultipartETag([Md5Hex(Last)]), (await s3.CompleteMultipartUploadAsync(complete)).ETag.Trim('"'));
    }

    private static void AssertNoDigestOf(byte[] data, IReadOnlyList<string> rows)
    {
        var md5 = MD5.HashData(data);
        foreach (var form in new[] { Convert.ToHexStringLower(md5), Convert.ToBase64String(md5) })
            foreach (var row in rows)
                Assert.DoesNotContain(form, row, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Each row as one string of all its columns (text as is, blobs as hex and as text), read with a connection of the test's own.</summary>
    private async Task<List<string>> RowsAsync(string sql, params (string Name, string Value)[] parameters)
    {
        var path = Path.Combine(t.Server.DataDirectory, "meta.db");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new StringBuilder();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.GetValue(i);
                row.Append(reader.GetName(i)).Append('=');
                row.Append(value is byte[] bytes ? Convert.ToHexString(bytes) + " " + Encoding.Latin1.GetString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture));
                row.Append('\n');
            }
            rows.Add(row.ToString());
        }
        return rows;
    }

    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    /// <summary>S3's multipart ETag over the part ETags: MD5 of their binary concatenation, "-N".</summary>
    private static string MultipartETag(IReadOnlyList<string> partETags) =>
        Convert.ToHexStringLower(MD5.HashData(partETags.SelectMany(Convert.FromHexString).ToArray())) + "-" + partETags.Count.ToString(CultureInfo.InvariantCulture);

    private static void Apply(InitiateMultipartUploadRequest r, Sse mode, string? kmsKey)
    {
        switch (mode)
        {
            case Sse.SseS3: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
            case Sse.SseKms: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS; r.ServerSideEncryptionKeyManagementServiceKeyId = kmsKey; break;
            case Sse.SseC: (r.ServerSideEncryptionCustomerMethod, r.ServerSideEncryptionCustomerProvidedKey, r.ServerSideEncryptionCustomerProvidedKeyMD5) = (ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyA, SseKeys.KeyAMd5); break;
        }
    }

    private static void Apply(PutObjectRequest r, Sse mode, string? kmsKey)
    {
        switch (mode)
        {
            case Sse.SseS3: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
            case Sse.SseKms: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS; r.ServerSideEncryptionKeyManagementServiceKeyId = kmsKey; break;
            case Sse.SseC: (r.ServerSideEncryptionCustomerMethod, r.ServerSideEncryptionCustomerProvidedKey, r.ServerSideEncryptionCustomerProvidedKeyMD5) = (ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyA, SseKeys.KeyAMd5); break;
        }
    }

    private static void Apply(UploadPartRequest r, Sse mode)
    {
        if (mode == Sse.SseC)
            (r.ServerSideEncryptionCustomerMethod, r.ServerSideEncryptionCustomerProvidedKey, r.ServerSideEncryptionCustomerProvidedKeyMD5) = (ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyA, SseKeys.KeyAMd5);
    }

    private static void Apply(GetObjectRequest r, Sse mode)
    {
        if (mode == Sse.SseC)
            (r.ServerSideEncryptionCustomerMethod, r.ServerSideEncryptionCustomerProvidedKey, r.ServerSideEncryptionCustomerProvidedKeyMD5) = (ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyA, SseKeys.KeyAMd5);
    }
}
