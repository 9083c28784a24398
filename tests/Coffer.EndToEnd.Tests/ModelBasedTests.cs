using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.EndToEnd.Tests.Remote;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Random sequences of operations through the real server, through AWSSDK.S3 over HTTPS, checked after every step against
/// a small in-memory model of S3's semantics (issue 15): PUT, GET (whole and ranges), HEAD, DELETE, multi-object delete,
/// copy with a change of encryption, multipart upload, tagging and listings with prefixes, delimiters and pages, in every
/// SSE mode (SSE-C with two keys, the wrong one refused). Each seed is one reproducible sequence; a failure names the
/// seed and the last operations. The same model runs on the embedded default and on PostgreSQL + RGW.
/// </summary>
public sealed class ModelBasedTests : IClassFixture<CofferFixture>, IAsyncLifetime
{
    private readonly CofferFixture _f;
    private readonly RemoteServer _remote = new("coffer_model");

    public ModelBasedTests(CofferFixture f) => _f = f;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _remote.DisposeAsync().AsTask();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public Task The_embedded_server_agrees_with_the_model(int seed) => new Run(_f, seed, steps: 160).ExecuteAsync();

    [PostgresFact]
    public async Task PostgreSQL_and_rgw_agree_with_the_model()
    {
        await new Run(await _remote.StartAsync(), seed: 7, steps: 120).ExecuteAsync();
    }

    /// <summary>What the model keeps of an object: exactly what a GET must answer, and how it is encrypted.</summary>
    private sealed record Stored(byte[] Data, Sse Mode, string ETag, IReadOnlyDictionary<string, string> Tags);

    private enum Sse { None, S3, Kms, CustomerA, CustomerB }

    private sealed class Run(CofferFixture f, int seed, int steps)
    {
        private static readonly string[] Keys = ["x", "y", "a/x", "a/y", "a/b/x", "a/b/y", "c/x", "c.d", "é/ü"];
        private static readonly string[] Prefixes = ["", "a", "a/", "a/b/", "c", "é/", "z"];
        private readonly Random _random = new(seed);
        private readonly SortedDictionary<string, Stored> _model = new(StringComparer.Ordinal);
        private readonly List<string> _log = [];
        private readonly AmazonS3Client _s3 = Clients.S3(f, https: true);
        private readonly string _bucket = "model-" + seed + "-" + Guid.NewGuid().ToString("N")[..8];

        public async Task ExecuteAsync()
        {
            await _s3.PutBucketAsync(_bucket);
            for (var step = 0; step < steps; step++)
            {
                var roll = _random.Next(100);
                try
                {
                    await (roll switch
                    {
                        < 22 => PutAsync(),
                        < 40 => GetAsync(),
                        < 47 => HeadAsync(),
                        < 55 => DeleteAsync(),
                        < 60 => DeleteManyAsync(),
                        < 70 => CopyAsync(),
                        < 73 => MultipartAsync(),
                        < 80 => TagAsync(),
                        _ => ListAsync(),
                    });
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"seed {seed}, step {step}: {e.Message}\nlast operations:\n  " +
                        string.Join("\n  ", _log.TakeLast(15)) + "\n" + e);
                }
            }
            // At the end every object in the model reads back exactly, and nothing else is listed.
            foreach (var key in _model.Keys.ToList())
                await ExpectContentAsync(key, _model[key]);
            Assert.Equal(_model.Keys, await Clients.ListAllKeysAsync(_s3, _bucket));
        }

        private string AnyKey() => Keys[_random.Next(Keys.Length)];

        private Sse AnyMode() => (Sse)_random.Next(5);

        private byte[] AnyData()
        {
            // Mostly small (stored inline in the metadata row), some over the inline limit (a blob), some empty.
            var size = _random.Next(10) switch
            {
                0 => 0,
                < 7 => _random.Next(1, 3000),
                _ => _random.Next(70_000, 200_000),
            };
            var data = new byte[size];
            _random.NextBytes(data);
            return data;
        }

        private static void Customer(Sse mode, Action<ServerSideEncryptionCustomerMethod, string, string> set)
        {
            if (mode is Sse.CustomerA)
                set(ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyA, SseKeys.KeyAMd5);
            else if (mode is Sse.CustomerB)
                set(ServerSideEncryptionCustomerMethod.AES256, SseKeys.KeyB, SseKeys.KeyBMd5);
        }

        private static ServerSideEncryptionMethod? Method(Sse mode) => mode switch
        {
            Sse.S3 => ServerSideEncryptionMethod.AES256,
            Sse.Kms => ServerSideEncryptionMethod.AWSKMS,
            _ => null,
        };

        private static string Md5ETag(byte[] data) => "\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"";

        private Dictionary<string, string> AnyTags()
        {
            var tags = new Dictionary<string, string>();
            for (var i = _random.Next(3); i > 0; i--)
                tags["t" + _random.Next(4)] = "v" + _random.Next(10);
            return tags;
        }

        private async Task PutAsync()
        {
            var (key, data, mode, tags) = (AnyKey(), AnyData(), AnyMode(), AnyTags());
            _log.Add($"PUT {key} ({data.Length} B, {mode}, {tags.Count} tags)");
            var request = new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = new MemoryStream(data),
                ServerSideEncryptionMethod = Method(mode),
                TagSet = tags.Count == 0 ? null : tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(),
            };
            Customer(mode, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            var response = await _s3.PutObjectAsync(request);
            // The plaintext's MD5, except under SSE-KMS and SSE-C, whose ETags must not reveal it (docs/protocol/sse.md).
            if (mode is Sse.None or Sse.S3)
                Assert.Equal(Md5ETag(data), response.ETag);
            else
                Assert.NotEqual(Md5ETag(data), response.ETag);
            _model[key] = new Stored(data, mode, response.ETag, tags);
        }

        private async Task GetAsync()
        {
            var key = AnyKey();
            if (!_model.TryGetValue(key, out var stored))
            {
                _log.Add($"GET {key} (missing)");
                var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(_bucket, key));
                Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (missing.StatusCode, missing.ErrorCode));
                return;
            }
            if (stored.Mode is Sse.CustomerA or Sse.CustomerB && _random.Next(4) == 0)
            {
                // The other customer key opens nothing.
                _log.Add($"GET {key} with the wrong customer key");
                var wrong = stored.Mode is Sse.CustomerA ? Sse.CustomerB : Sse.CustomerA;
                var request = new GetObjectRequest { BucketName = _bucket, Key = key };
                Customer(wrong, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
                var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(request));
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                return;
            }
            if (stored.Data.Length > 1 && _random.Next(3) == 0)
            {
                var from = _random.Next(stored.Data.Length);
                var to = Math.Min(stored.Data.Length - 1, from + _random.Next(70_000));
                _log.Add($"GET {key} bytes={from}-{to}");
                var request = new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new ByteRange(from, to) };
                Customer(stored.Mode, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
                using var response = await _s3.GetObjectAsync(request);
                Assert.Equal(stored.Data[from..(to + 1)], await ReadAllAsync(response));
                return;
            }
            _log.Add($"GET {key}");
            await ExpectContentAsync(key, stored);
        }

        private async Task ExpectContentAsync(string key, Stored stored)
        {
            var request = new GetObjectRequest { BucketName = _bucket, Key = key };
            Customer(stored.Mode, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            using var response = await _s3.GetObjectAsync(request);
            Assert.Equal(stored.Data, await ReadAllAsync(response));
            Assert.Equal(stored.ETag, response.ETag);
            // How it is encrypted, as GET reports it.
            var reported = response.ServerSideEncryptionMethod?.Value is { Length: > 0 } value ? value : null;
            Assert.Equal(Method(stored.Mode)?.Value, reported);
            Assert.Equal(stored.Mode is Sse.CustomerA or Sse.CustomerB ? "AES256" : null,
                response.ServerSideEncryptionCustomerMethod?.Value is { Length: > 0 } customer ? customer : null);
            Assert.Equal(stored.Tags.Count, response.TagCount);
        }

        private static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
        {
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer);
            return buffer.ToArray();
        }

        private async Task HeadAsync()
        {
            var key = AnyKey();
            _log.Add($"HEAD {key}");
            if (!_model.TryGetValue(key, out var stored))
            {
                var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(_bucket, key));
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                return;
            }
            var request = new GetObjectMetadataRequest { BucketName = _bucket, Key = key };
            Customer(stored.Mode, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            var head = await _s3.GetObjectMetadataAsync(request);
            Assert.Equal((stored.Data.Length, stored.ETag), (head.ContentLength, head.ETag));
        }

        private async Task DeleteAsync()
        {
            var key = AnyKey();
            _log.Add($"DELETE {key}{(_model.ContainsKey(key) ? "" : " (missing)")}");
            // Deleting a missing key succeeds, as in S3.
            var response = await _s3.DeleteObjectAsync(_bucket, key);
            Assert.Equal(HttpStatusCode.NoContent, response.HttpStatusCode);
            _model.Remove(key);
        }

        private async Task DeleteManyAsync()
        {
            var keys = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => AnyKey()).Distinct().ToList();
            _log.Add($"DELETE many {string.Join(", ", keys)}");
            var response = await _s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = _bucket, Objects = keys.Select(k => new KeyVersion { Key = k }).ToList() });
            Assert.Equal(keys.Order(StringComparer.Ordinal), response.DeletedObjects.Select(d => d.Key).Order(StringComparer.Ordinal));
            Assert.Empty(response.DeleteErrors ?? []);
            foreach (var key in keys)
                _model.Remove(key);
        }

        private async Task CopyAsync()
        {
            var (source, target, mode) = (AnyKey(), AnyKey(), AnyMode());
            var request = new CopyObjectRequest { SourceBucket = _bucket, SourceKey = source, DestinationBucket = _bucket, DestinationKey = target, ServerSideEncryptionMethod = Method(mode) };
            Customer(mode, (m, k, md5) => (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            if (!_model.TryGetValue(source, out var stored))
            {
                _log.Add($"COPY {source} (missing) -> {target}");
                var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.CopyObjectAsync(request));
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                return;
            }
            if (source == target && mode == stored.Mode)
            {
                // A copy onto itself that changes nothing is refused by S3; not what this model is about.
                return;
            }
            _log.Add($"COPY {source} ({stored.Mode}) -> {target} ({mode})");
            Customer(stored.Mode, (m, k, md5) => (request.CopySourceServerSideEncryptionCustomerMethod, request.CopySourceServerSideEncryptionCustomerProvidedKey, request.CopySourceServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            var response = await _s3.CopyObjectAsync(request);
            if (mode is Sse.None or Sse.S3 && stored.Mode is Sse.None or Sse.S3 && !stored.ETag.Contains('-'))
                Assert.Equal(stored.ETag, response.ETag);
            // The copy keeps the data and (TaggingDirective COPY, the default) the tags; it takes the new encryption.
            _model[target] = stored with { Mode = mode, ETag = response.ETag };
        }

        private async Task MultipartAsync()
        {
            var (key, mode) = (AnyKey(), AnyMode());
            var first = new byte[1024 * 1024];
            var last = new byte[_random.Next(1, 5000)];
            _random.NextBytes(first);
            _random.NextBytes(last);
            var abort = _random.Next(5) == 0;
            _log.Add($"MULTIPART {key} ({mode}{(abort ? ", aborted" : "")})");
            var initiate = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key, ServerSideEncryptionMethod = Method(mode) };
            Customer(mode, (m, k, md5) => (initiate.ServerSideEncryptionCustomerMethod, initiate.ServerSideEncryptionCustomerProvidedKey, initiate.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
            var uploadId = (await _s3.InitiateMultipartUploadAsync(initiate)).UploadId;
            var etags = new List<PartETag>();
            foreach (var (number, part) in new[] { (1, first), (2, last) })
            {
                var upload = new UploadPartRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(part) };
                Customer(mode, (m, k, md5) => (upload.ServerSideEncryptionCustomerMethod, upload.ServerSideEncryptionCustomerProvidedKey, upload.ServerSideEncryptionCustomerProvidedKeyMD5) = (m, k, md5));
                etags.Add(new PartETag(number, (await _s3.UploadPartAsync(upload)).ETag));
            }
            if (abort)
            {
                await _s3.AbortMultipartUploadAsync(_bucket, key, uploadId);
                return;   // the key keeps what it had
            }
            var complete = await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartETags = etags });
            Assert.EndsWith("-2\"", complete.ETag);
            _model[key] = new Stored([.. first, .. last], mode, complete.ETag, new Dictionary<string, string>());
        }

        private async Task TagAsync()
        {
            var key = AnyKey();
            var tags = AnyTags();
            _log.Add($"TAG {key} ({tags.Count} tags)");
            var put = new PutObjectTaggingRequest { BucketName = _bucket, Key = key, Tagging = new Tagging { TagSet = tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList() } };
            if (!_model.TryGetValue(key, out var stored))
            {
                var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectTaggingAsync(put));
                Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (missing.StatusCode, missing.ErrorCode));
                return;
            }
            await _s3.PutObjectTaggingAsync(put);
            _model[key] = stored with { Tags = tags };
            var read = await _s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = _bucket, Key = key });
            Assert.Equal(tags.OrderBy(t => t.Key), (read.Tagging ?? []).Select(t => KeyValuePair.Create(t.Key, t.Value)).OrderBy(t => t.Key));
        }

        private async Task ListAsync()
        {
            var prefix = Prefixes[_random.Next(Prefixes.Length)];
            var delimiter = _random.Next(2) == 0 ? "/" : null;
            var maxKeys = _random.Next(1, 6);
            _log.Add($"LIST prefix '{prefix}' delimiter '{delimiter}' max-keys {maxKeys}");
            var (keys, prefixes) = (new List<string>(), new List<string>());
            var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = delimiter, MaxKeys = maxKeys };
            ListObjectsV2Response page;
            do
            {
                page = await _s3.ListObjectsV2Async(request);
                Assert.True((page.S3Objects?.Count ?? 0) + (page.CommonPrefixes?.Count ?? 0) <= maxKeys);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
                prefixes.AddRange(page.CommonPrefixes ?? []);
                foreach (var o in page.S3Objects ?? [])
                    Assert.Equal((_model[o.Key].Data.Length, _model[o.Key].ETag), (o.Size ?? -1, o.ETag));
                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);

            var expectedKeys = new List<string>();
            var expectedPrefixes = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var key in _model.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var at = delimiter is null ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                    expectedPrefixes.Add(key[..(at + 1)]);
                else
                    expectedKeys.Add(key);
            }
            Assert.Equal(expectedKeys, keys);
            Assert.Equal(expectedPrefixes, prefixes);
        }
    }
}
