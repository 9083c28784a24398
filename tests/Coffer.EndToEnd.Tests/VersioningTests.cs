using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Bucket versioning through AWSSDK.S3 and COS-signed requests (docs/protocol/versioning.md): version ids on every write,
/// reads and deletes of a version, delete markers, ListObjectVersions paging, copies from a version, the null version of a
/// Suspended bucket, SSE-C versions with their own keys, and what another user and an anonymous caller may not do.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class VersioningTests(CofferFixture f)
{
    private async Task<(AmazonS3Client S3, string Bucket)> VersionedBucketAsync(VersionStatus? status = null, bool https = false)
    {
        var s3 = Clients.S3(f, https: https);
        var bucket = CofferFixture.NewBucket("ver");
        await s3.PutBucketAsync(bucket);
        await SetVersioningAsync(s3, bucket, status ?? VersionStatus.Enabled);
        return (s3, bucket);
    }

    private static Task SetVersioningAsync(AmazonS3Client s3, string bucket, VersionStatus status) =>
        s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = status } });

    private static async Task<string> PutAsync(AmazonS3Client s3, string bucket, string key, string body) =>
        (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body })).VersionId;

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key, string? versionId = null)
    {
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    private static async Task<AmazonS3Exception> RefusedAsync(Func<Task> call, HttpStatusCode status, string code)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(code, e.ErrorCode);
        return e;
    }

    private static async Task<List<S3ObjectVersion>> AllVersionsAsync(AmazonS3Client s3, string bucket, int pageSize = 1000, string? prefix = null)
    {
        var all = new List<S3ObjectVersion>();
        string? keyMarker = null, versionMarker = null;
        while (true)
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = pageSize, KeyMarker = keyMarker, VersionIdMarker = versionMarker, Prefix = prefix });
            all.AddRange(page.Versions ?? []);
            if (page.IsTruncated != true)
                return all;
            (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
    }

    /// <summary>A request signed as a presigned URL, sent raw, to see the headers of an error answer.</summary>
    private async Task<HttpResponseMessage> PresignedAsync(AmazonS3Client s3, HttpVerb verb, string bucket, string key, string? versionId)
    {
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = key, VersionId = versionId, Verb = verb, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Amazon.S3.Protocol.HTTP,
        });
        using var http = Clients.Http(f, f.HttpUrl.Port);
        return await http.SendAsync(new HttpRequestMessage(new HttpMethod(verb.ToString()), url));
    }

    [Fact]
    public async Task The_versioning_state_goes_enabled_and_suspended_but_never_back_and_bad_states_are_refused()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("ver");
        await s3.PutBucketAsync(bucket);
        var initial = (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status;
        Assert.True(initial is null || initial == VersionStatus.Off, $"a new bucket answered {initial}");

        await SetVersioningAsync(s3, bucket, VersionStatus.Enabled);
        Assert.Equal(VersionStatus.Enabled, (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
        await SetVersioningAsync(s3, bucket, VersionStatus.Suspended);
        Assert.Equal(VersionStatus.Suspended, (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);

        await RefusedAsync(() => SetVersioningAsync(s3, bucket, VersionStatus.Off), HttpStatusCode.BadRequest, "IllegalVersioningConfigurationException");
        await RefusedAsync(() => SetVersioningAsync(s3, bucket, VersionStatus.FindValue("Bogus")), HttpStatusCode.BadRequest, "IllegalVersioningConfigurationException");
        Assert.Equal(VersionStatus.Suspended, (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
    }

    [Fact]
    public async Task Every_put_makes_a_version_that_stays_readable_by_its_id_and_a_delete_adds_a_marker_that_can_be_undone()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        var v1 = await PutAsync(s3, bucket, "k", "one");
        var v2 = await PutAsync(s3, bucket, "k", "two");
        var v3 = await PutAsync(s3, bucket, "k", "three");
        Assert.Equal(3, new[] { v1, v2, v3 }.Distinct().Count());
        Assert.DoesNotContain("null", new[] { v1, v2, v3 });

        Assert.Equal("three", await ReadAsync(s3, bucket, "k"));
        Assert.Equal("one", await ReadAsync(s3, bucket, "k", v1));
        Assert.Equal("two", await ReadAsync(s3, bucket, "k", v2));
        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k" }))
            Assert.Equal(v3, get.VersionId);
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Equal((3L, v1), (head.ContentLength, head.VersionId));

        // ListObjects shows the key once; ListObjectVersions every version, newest first.
        Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects);
        Assert.Equal([(v3, true), (v2, false), (v1, false)], (await AllVersionsAsync(s3, bucket)).Select(v => (v.VersionId, v.IsLatest == true)));

        // DELETE without an id: a delete marker, whose id the answer gives; the key is gone, its versions are not.
        var deleted = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k" });
        Assert.Equal("true", deleted.DeleteMarker);
        var marker = deleted.VersionId;
        Assert.False(string.IsNullOrEmpty(marker));
        await RefusedAsync(() => ReadAsync(s3, bucket, "k"), HttpStatusCode.NotFound, "NoSuchKey");
        using (var hidden = await PresignedAsync(s3, HttpVerb.GET, bucket, "k", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            Assert.Equal("true", hidden.Header("x-amz-delete-marker"));
            Assert.Equal(marker, hidden.Header("x-amz-version-id"));
        }
        using (var ofMarker = await PresignedAsync(s3, HttpVerb.GET, bucket, "k", marker))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, ofMarker.StatusCode);
            Assert.Equal("true", ofMarker.Header("x-amz-delete-marker"));
            Assert.Contains("<Code>MethodNotAllowed</Code>", await ofMarker.Content.ReadAsStringAsync());
        }
        Assert.Equal("two", await ReadAsync(s3, bucket, "k", v2));
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        var listed = await AllVersionsAsync(s3, bucket);
        Assert.Equal([(marker, true, true), (v3, false, false), (v2, false, false), (v1, false, false)],
            listed.Select(v => (v.VersionId, v.IsDeleteMarker == true, v.IsLatest == true)));
        await RefusedAsync(() => s3.DeleteBucketAsync(bucket), HttpStatusCode.Conflict, "BucketNotEmpty");

        // Deleting the marker by its id brings v3 back; deleting v3 by id makes v2 current.
        var undo = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = marker });
        Assert.Equal(("true", marker), (undo.DeleteMarker, undo.VersionId));
        Assert.Equal("three", await ReadAsync(s3, bucket, "k"));
        var gone = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v3 });
        Assert.Equal(v3, gone.VersionId);
        Assert.Equal("two", await ReadAsync(s3, bucket, "k"));
        await RefusedAsync(() => ReadAsync(s3, bucket, "k", v3), HttpStatusCode.NotFound, "NoSuchVersion");
        await RefusedAsync(() => ReadAsync(s3, bucket, "k", "not/a/version"), HttpStatusCode.BadRequest, "InvalidArgument");
        // A version that is gone (or never was) deletes as success, as S3 answers.
        Assert.Equal(HttpStatusCode.NoContent, (await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v3 })).HttpStatusCode);

        foreach (var v in new[] { v2, v1 })
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v });
        Assert.Empty(await AllVersionsAsync(s3, bucket));
        await s3.DeleteBucketAsync(bucket);
    }

    [Fact]
    public async Task Version_listings_page_by_key_and_version_markers_with_prefixes_delimiters_and_markers_interleaved()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        foreach (var key in new[] { "a", "dir/x", "dir/y", "z" })
            for (var i = 0; i < 3; i++)
                await PutAsync(s3, bucket, key, key + i);
        await s3.DeleteObjectAsync(bucket, "dir/x");

        var all = await AllVersionsAsync(s3, bucket);
        Assert.Equal(13, all.Count);
        Assert.Equal(["a", "dir/x", "dir/y", "z"], all.Select(v => v.Key).Distinct());
        Assert.Equal(4, all.Count(v => v.IsLatest == true));
        Assert.True(all.Single(v => v.Key == "dir/x" && v.IsLatest == true).IsDeleteMarker);
        foreach (var size in new[] { 1, 2, 5 })
            Assert.Equal(all.Select(v => (v.Key, v.VersionId)), (await AllVersionsAsync(s3, bucket, size)).Select(v => (v.Key, v.VersionId)));
        Assert.Equal(7, (await AllVersionsAsync(s3, bucket, 2, prefix: "dir/")).Count);

        var rolled = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["dir/"], rolled.CommonPrefixes);
        Assert.Equal(["a", "z"], rolled.Versions.Select(v => v.Key).Distinct());

        // A version-id marker needs a key marker, and may not be empty.
        await RefusedAsync(() => s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, VersionIdMarker = all[0].VersionId }), HttpStatusCode.BadRequest, "InvalidArgument");
    }

    [Fact]
    public async Task A_suspended_bucket_writes_the_null_version_which_replaces_the_last_null_version_and_keeps_the_others()
    {
        var (s3, bucket) = await VersionedBucketAsync(VersionStatus.Enabled);
        using var _ = s3;
        var v1 = await PutAsync(s3, bucket, "k", "enabled");
        await SetVersioningAsync(s3, bucket, VersionStatus.Suspended);
        await PutAsync(s3, bucket, "k", "null one");
        await PutAsync(s3, bucket, "k", "null two");
        Assert.Equal([("null", true), (v1, false)], (await AllVersionsAsync(s3, bucket)).Select(v => (v.VersionId, v.IsLatest == true)));
        Assert.Equal("null two", await ReadAsync(s3, bucket, "k", "null"));

        // A delete in a Suspended bucket replaces the null version with a null delete marker.
        var deleted = await s3.DeleteObjectAsync(bucket, "k");
        Assert.Equal(("true", "null"), (deleted.DeleteMarker, deleted.VersionId));
        Assert.Equal([("null", true, true), (v1, false, false)], (await AllVersionsAsync(s3, bucket)).Select(v => (v.VersionId, v.IsDeleteMarker == true, v.IsLatest == true)));
        Assert.Equal("enabled", await ReadAsync(s3, bucket, "k", v1));
    }

    [Fact]
    public async Task Copies_and_part_copies_read_the_named_version_and_multipart_completion_makes_a_version()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        var old = await PutAsync(s3, bucket, "src", "the old text");
        await PutAsync(s3, bucket, "src", "the new text");

        var copy = await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", SourceVersionId = old, DestinationBucket = bucket, DestinationKey = "dst" });
        Assert.Equal(old, copy.SourceVersionId);
        Assert.False(string.IsNullOrEmpty(copy.VersionId));
        Assert.Equal("the old text", await ReadAsync(s3, bucket, "dst"));

        // Restoring an old version is a copy of it onto its own key: a new current version.
        var restored = await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", SourceVersionId = old, DestinationBucket = bucket, DestinationKey = "src" });
        Assert.Equal("the old text", await ReadAsync(s3, bucket, "src"));
        Assert.Equal(3, (await AllVersionsAsync(s3, bucket, prefix: "src")).Count);
        Assert.Equal(restored.VersionId, (await AllVersionsAsync(s3, bucket, prefix: "src"))[0].VersionId);

        var upload = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var part = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = old, DestinationBucket = bucket, DestinationKey = "mp", UploadId = upload.UploadId, PartNumber = 1,
        });
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)] });
        Assert.False(string.IsNullOrEmpty(done.VersionId));
        Assert.Equal("the old text", await ReadAsync(s3, bucket, "mp", done.VersionId));

        var deleted = await s3.DeleteObjectAsync(bucket, "src");
        await RefusedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", SourceVersionId = deleted.VersionId, DestinationBucket = bucket, DestinationKey = "x" }),
            HttpStatusCode.BadRequest, "InvalidRequest");
        await RefusedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", SourceVersionId = "nosuchversion0000", DestinationBucket = bucket, DestinationKey = "x" }),
            HttpStatusCode.NotFound, "NoSuchVersion");
    }

    [Fact]
    public async Task Each_SSE_C_version_needs_its_own_customer_key()
    {
        var (s3, bucket) = await VersionedBucketAsync(https: true);
        using var _ = s3;
        var put1 = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "under key A", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
        });
        var put2 = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "under key B", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyB,
        });
        async Task<string> ReadWith(string versionId, string key)
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = bucket, Key = "k", VersionId = versionId, ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = key,
            });
            return await new StreamReader(get.ResponseStream).ReadToEndAsync();
        }
        Assert.Equal("under key A", await ReadWith(put1.VersionId, SseKeys.KeyA));
        Assert.Equal("under key B", await ReadWith(put2.VersionId, SseKeys.KeyB));
        var wrong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadWith(put1.VersionId, SseKeys.KeyB));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }

    [Fact]
    public async Task DeleteObjects_removes_named_versions_and_adds_markers_for_keys_without_one()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        var a1 = await PutAsync(s3, bucket, "a", "a1");
        await PutAsync(s3, bucket, "a", "a2");
        await PutAsync(s3, bucket, "b", "b1");
        // AWSSDK.S3 throws when any key failed, with the whole result.
        var result = (await Assert.ThrowsAsync<DeleteObjectsException>(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "a", VersionId = a1 }, new KeyVersion { Key = "b" }, new KeyVersion { Key = "c", VersionId = "bad/id" }],
        }))).Response;
        var byKey = result.DeletedObjects.ToDictionary(d => d.Key);
        Assert.Equal(a1, byKey["a"].VersionId);
        Assert.NotEqual(true, byKey["a"].DeleteMarker);
        Assert.True(byKey["b"].DeleteMarker);
        Assert.False(string.IsNullOrEmpty(byKey["b"].DeleteMarkerVersionId));
        Assert.Equal(("c", "InvalidArgument"), (result.DeleteErrors.Single().Key, result.DeleteErrors.Single().Code));
        Assert.Equal(["a2"], new[] { await ReadAsync(s3, bucket, "a") });
        Assert.Single((await AllVersionsAsync(s3, bucket, prefix: "a")));
        await RefusedAsync(() => ReadAsync(s3, bucket, "b"), HttpStatusCode.NotFound, "NoSuchKey");
    }

    [Fact]
    public async Task Tags_acls_and_attributes_of_a_version_are_read_by_its_id_and_changes_to_a_noncurrent_one_are_refused()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one", TagSet = [new Tag { Key = "v", Value = "1" }] })).VersionId;
        var v2 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second", TagSet = [new Tag { Key = "v", Value = "2" }] })).VersionId;

        Assert.Equal("1", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1 })).Tagging.Single().Value);
        Assert.Equal("2", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging.Single().Value);
        Assert.Equal(3, (await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", VersionId = v1, ObjectAttributes = [ObjectAttributes.ObjectSize] })).ObjectSize);
        Assert.NotNull((await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k", VersionId = v1 })).Grants);

        // The current version may be tagged by its id; a noncurrent one is refused, never the current one changed instead.
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v2, Tagging = new Tagging { TagSet = [new Tag { Key = "v", Value = "two" }] } });
        await RefusedAsync(() => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1, Tagging = new Tagging { TagSet = [new Tag { Key = "x", Value = "y" }] } }),
            HttpStatusCode.NotImplemented, "NotImplemented");
        Assert.Equal("two", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging.Single().Value);
        Assert.Equal("1", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1 })).Tagging.Single().Value);
    }

    [Fact]
    public async Task Another_user_and_an_anonymous_caller_reach_no_version_call_and_a_GetObject_grant_does_not_reach_old_versions()
    {
        var (s3, bucket) = await VersionedBucketAsync();
        using var _ = s3;
        var v1 = await PutAsync(s3, bucket, "k", "secret one");
        await PutAsync(s3, bucket, "k", "secret two");

        var name = "bob-" + Guid.NewGuid().ToString("N")[..8];
        var (ak, sk) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, name))!.Value;
        using var bob = Clients.S3(f, accessKey: ak, secretKey: sk);
        Func<Task>[] calls =
        [
            () => bob.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }),
            () => SetVersioningAsync(bob, bucket, VersionStatus.Suspended),
            () => bob.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket }),
            () => ReadAsync(bob, bucket, "k", v1),
            () => bob.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = v1 }),
            () => bob.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }),
            () => bob.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1 }),
            () => bob.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "k", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "stolen" }),
        ];
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        }

        using var http = Clients.Http(f, f.HttpUrl.Port);
        foreach (var (method, query) in new[] { ("GET", "versioning"), ("PUT", "versioning"), ("GET", "versions") })
        {
            using var r = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(f.HttpUrl, $"/{bucket}?{query}"))
            {
                Content = method == "PUT" ? new StringContent("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>") : null,
            });
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        foreach (var method in new[] { "GET", "HEAD", "DELETE" })
        {
            using var r = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(f.HttpUrl, $"/{bucket}/k?versionId={Uri.EscapeDataString(v1)}")));
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }

        // A policy that lets bob GetObject reads the current version only: an old one needs s3:GetObjectVersion.
        await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest
        {
            BucketName = bucket,
            Policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{name}}"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"}]}""",
        });
        Assert.Equal("secret two", await ReadAsync(bob, bucket, "k"));
        await RefusedAsync(() => ReadAsync(bob, bucket, "k", v1), HttpStatusCode.Forbidden, "AccessDenied");
        Assert.Equal(2, (await AllVersionsAsync(s3, bucket)).Count);
        Assert.Equal(VersionStatus.Enabled, (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
    }

    [Fact]
    public async Task COS_signed_requests_get_the_versioning_calls_and_x_cos_version_id()
    {
        using var cos = new CosRawClient(f, https: false);
        var bucket = CosRawClient.NewBucket();
        using (var created = await cos.SendAsync(HttpMethod.Put, bucket))
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        using (var enable = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("versioning", "")],
            body: Encoding.UTF8.GetBytes("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")))
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        using (var status = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("versioning", "")]))
            Assert.Contains("<Status>Enabled</Status>", await status.Content.ReadAsStringAsync());

        string first;
        using (var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "one"u8.ToArray()))
            first = put.Header("x-cos-version-id")!;
        using (var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "two"u8.ToArray()))
            Assert.NotEqual(first, put.Header("x-cos-version-id"));
        using (var get = await cos.SendAsync(HttpMethod.Get, bucket, "k", query: [new("versionId", first)]))
        {
            Assert.Equal("one", await get.Content.ReadAsStringAsync());
            Assert.Equal(first, get.Header("x-cos-version-id"));
        }
        using (var delete = await cos.SendAsync(HttpMethod.Delete, bucket, "k"))
        {
            Assert.Equal("true", delete.Header("x-cos-delete-marker"));
            Assert.NotNull(delete.Header("x-cos-version-id"));
        }
        using (var list = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("versions", "")]))
        {
            var xml = await list.Content.ReadAsStringAsync();
            Assert.Contains("<DeleteMarker>", xml);
            Assert.Equal(2, xml.Split("<Version>").Length - 1);
        }
        using (var bad = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("versioning", "")],
            body: Encoding.UTF8.GetBytes("<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("IllegalVersioningConfigurationException", await bad.ErrorCodeAsync());
        }
    }
}
