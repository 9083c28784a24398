using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Bucket lifecycle end to end (docs/protocol/lifecycle.md), against a server of each test's own whose days run
/// <see cref="Scale"/> times faster (a day is 86.4 s) and whose lifecycle and restore clock the test moves forward, so a
/// rule's days pass at once; the job's own loop waits an hour, and each test runs its passes itself.
/// </summary>
public sealed class LifecycleTests : IAsyncLifetime
{
    private const double Scale = 1000;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1) / Scale;
    private readonly ShiftableClock _clock = new();
    private readonly CofferFixture f;

    public LifecycleTests() => f = new CofferFixture
    {
        Configure = o =>
        {
            o.TimeScale = Scale;
            o.LifecycleClock = _clock;
            o.RestoreClock = _clock;
            o.LifecycleInterval = TimeSpan.FromHours(1);
        },
    };

    public Task InitializeAsync() => f.InitializeAsync();

    public Task DisposeAsync() => f.DisposeAsync();

    [Fact]
    public async Task A_configuration_is_put_read_and_deleted_with_awssdk()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        // The server answers 404 NoSuchLifecycleConfiguration (awscli shows it, below); AWSSDK turns that into an empty configuration.
        Assert.Empty((await s3.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? []);

        await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules =
                [
                    new LifecycleRule
                    {
                        Id = "logs",
                        Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "logs/", Tags = [new Tag { Key = "t", Value = "1" }], ObjectSizeGreaterThan = 10 } },
                        Status = LifecycleRuleStatus.Enabled,
                        Transitions = [new LifecycleTransition { Days = 30, StorageClass = S3StorageClass.StandardInfrequentAccess }, new LifecycleTransition { Days = 60, StorageClass = S3StorageClass.Glacier }],
                        Expiration = new LifecycleRuleExpiration { Days = 365 },
                        NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = 90 },
                    },
                    new LifecycleRule
                    {
                        Id = "uploads",
                        Filter = new LifecycleFilter { Prefix = "" },
                        Status = LifecycleRuleStatus.Disabled,
                        AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 7 },
                    },
                ],
            },
        });

        var read = (await s3.GetLifecycleConfigurationAsync(bucket)).Configuration.Rules;
        Assert.Equal(["logs", "uploads"], read.Select(r => r.Id));
        var logs = read[0];
        Assert.Equal(LifecycleRuleStatus.Enabled, logs.Status);
        // AWSSDK 4.1 reads <And> back as the predicate form (LifecycleAndOperator), not into LifecycleFilter.And.
        var and = Assert.IsType<LifecycleAndOperator>(logs.Filter.LifecycleFilterPredicate).Operands;
        Assert.Equal("logs/", and.OfType<LifecyclePrefixPredicate>().Single().Prefix);
        Assert.Equal(("t", "1"), and.OfType<LifecycleTagPredicate>().Select(t => (t.Tag.Key, t.Tag.Value)).Single());
        Assert.Equal(10, and.OfType<LifecycleObjectSizeGreaterThanPredicate>().Single().ObjectSizeGreaterThan);
        Assert.Equal([(30, "STANDARD_IA"), (60, "GLACIER")], logs.Transitions.Select(t => (t.Days ?? -1, t.StorageClass.Value)));
        Assert.Equal(365, logs.Expiration.Days);
        Assert.Equal(90, logs.NoncurrentVersionExpiration.NoncurrentDays);
        Assert.Equal(LifecycleRuleStatus.Disabled, read[1].Status);
        Assert.Equal(7, read[1].AbortIncompleteMultipartUpload.DaysAfterInitiation);

        await s3.DeleteLifecycleConfigurationAsync(bucket);
        Assert.Empty((await s3.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? []);
        await s3.DeleteLifecycleConfigurationAsync(bucket);   // S3: 204 when there is none, too
    }

    [Fact]
    public async Task A_bad_configuration_is_refused_and_the_old_one_stays()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket, ExpireRule("keep", "logs/", 5));

        var bad = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => PutRulesAsync(s3, bucket, ExpireRule("a", "", 0)));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (bad.StatusCode, bad.ErrorCode));
        Assert.Contains("positive integer", bad.Message);
        var twice = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => PutRulesAsync(s3, bucket, ExpireRule("a", "x", 1), ExpireRule("a", "y", 1)));
        Assert.Contains("Rule ID must be unique", twice.Message);

        Assert.Equal("keep", (await s3.GetLifecycleConfigurationAsync(bucket)).Configuration.Rules.Single().Id);
    }

    [Fact]
    public async Task Head_and_get_announce_the_expiry_of_the_rule_that_names_the_object()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket, ExpireRule("late", "", 9), ExpireRule("soon", "logs/", 2));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "logs/a", ContentBody = "x" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "other", ContentBody = "x" });

        var head = await s3.GetObjectMetadataAsync(bucket, "logs/a");
        Assert.Equal("soon", head.Expiration.RuleId);
        var expected = head.LastModified!.Value.ToUniversalTime() + 2 * Day;
        Assert.InRange(head.Expiration.ExpiryDate.ToUniversalTime(), expected.AddSeconds(-1), expected.AddSeconds(1));
        using (var get = await s3.GetObjectAsync(bucket, "other"))
            Assert.Equal("late", get.Expiration.RuleId);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "logs/b", ContentBody = "x" });
        Assert.Equal("soon", put.Expiration.RuleId);
        var copy = await s3.CopyObjectAsync(bucket, "other", bucket, "logs/copy");
        Assert.Equal("soon", copy.Expiration.RuleId);
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "logs/mp");
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "logs/mp", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream("x"u8.ToArray()) });
        var complete = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "logs/mp",
            UploadId = upload.UploadId,
            PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal("soon", complete.Expiration.RuleId);

        await s3.DeleteLifecycleConfigurationAsync(bucket);
        Assert.Null((await s3.GetObjectMetadataAsync(bucket, "logs/a")).Expiration);
    }

    [Fact]
    public async Task Nothing_is_touched_that_a_rule_does_not_name()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket,
            ExpireRule("by prefix", "logs/", 2),
            new LifecycleRule
            {
                Id = "by tags",
                Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "tagged/", Tags = [new Tag { Key = "a", Value = "1" }, new Tag { Key = "b", Value = "2" }] } },
                Status = LifecycleRuleStatus.Enabled,
                Expiration = new LifecycleRuleExpiration { Days = 2 },
            },
            new LifecycleRule
            {
                Id = "by size",
                Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "sized/", ObjectSizeGreaterThan = 100, ObjectSizeLessThan = 200 } },
                Status = LifecycleRuleStatus.Enabled,
                Expiration = new LifecycleRuleExpiration { Days = 2 },
            },
            new LifecycleRule
            {
                Id = "to glacier",
                Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "cold/", ObjectSizeGreaterThan = 0 } },
                Status = LifecycleRuleStatus.Enabled,
                Transitions = [new LifecycleTransition { Days = 2, StorageClass = S3StorageClass.Glacier }],
            },
            new LifecycleRule
            {
                Id = "default minimum",
                Filter = new LifecycleFilter { Prefix = "big/" },
                Status = LifecycleRuleStatus.Enabled,
                Transitions = [new LifecycleTransition { Days = 2, StorageClass = S3StorageClass.Glacier }],
            },
            new LifecycleRule
            {
                Id = "disabled, names everything",
                Filter = new LifecycleFilter { Prefix = "" },
                Status = LifecycleRuleStatus.Disabled,
                Expiration = new LifecycleRuleExpiration { Days = 1 },
                AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 1 },
            },
            new LifecycleRule
            {
                Id = "abort",
                Filter = new LifecycleFilter { Prefix = "uploads/" },
                Status = LifecycleRuleStatus.Enabled,
                AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 2 },
            });

        async Task PutAsync(string key, int size = 1, params (string Key, string Value)[] tags) =>
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = new MemoryStream(new byte[size]),
                TagSet = tags.Length == 0 ? null : tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(),
            });

        // Just inside each rule.
        await PutAsync("logs/a");
        await PutAsync("tagged/a", 1, ("a", "1"), ("b", "2"), ("extra", "x"));
        await PutAsync("sized/101", 101);
        await PutAsync("sized/199", 199);
        await PutAsync("cold/a");
        await PutAsync("big/a", 128 * 1024);
        var beforeInitiate = DateTime.UtcNow + _clock.Offset;
        var initiated = await s3.InitiateMultipartUploadAsync(bucket, "uploads/u");
        var doomed = initiated.UploadId;
        // The enabled rule's id and date, not the disabled one's (which would abort a day earlier).
        Assert.Equal("abort", initiated.AbortRuleId);
        // Two (scaled) days after initiation, to the second (an HTTP date).
        Assert.InRange(initiated.AbortDate!.Value.ToUniversalTime(), beforeInitiate + 2 * Day - TimeSpan.FromSeconds(1), DateTime.UtcNow + _clock.Offset + 2 * Day + TimeSpan.FromSeconds(1));
        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "uploads/u", UploadId = doomed });
        Assert.Equal(("abort", initiated.AbortDate), (parts.AbortRuleId, parts.AbortDate));
        // Just outside.
        await PutAsync("log/a");
        await PutAsync("Logs/a");
        await PutAsync("x/logs/a");
        await PutAsync("tagged/one-missing", 1, ("a", "1"));
        await PutAsync("tagged/wrong-value", 1, ("a", "1"), ("b", "3"));
        await PutAsync("tagged/none");
        await PutAsync("sized/100", 100);
        await PutAsync("sized/200", 200);
        await PutAsync("cold-not/a");
        await PutAsync("big/small", 128 * 1024 - 1);
        await PutAsync("logs/a-day-younger");
        await PutAsync("cold/a-day-younger");
        var keptInitiated = await s3.InitiateMultipartUploadAsync(bucket, "uploadsX/u");
        var kept = keptInitiated.UploadId;
        Assert.Null(keptInitiated.AbortRuleId);

        // "A day younger": as if written one (scaled) day after the others.
        foreach (var key in new[] { "logs/a-day-younger", "cold/a-day-younger" })
        {
            var record = (await f.Server.Services.Store.GetObjectAsync(bucket, key))!;
            await f.Server.Services.Store.PutObjectAsync(record with { LastModified = DateTimeOffset.UtcNow + _clock.Offset + Day });
        }
        var newest = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects
            .Where(o => !o.Key.EndsWith("a-day-younger", StringComparison.Ordinal)).Max(o => o.LastModified!.Value.ToUniversalTime());
        var uploadStarted = (await f.Server.Services.Store.GetUploadAsync(bucket, "uploads/u", doomed))!.Initiated;
        // Now: the moment the youngest object inside the rules (and the upload) is exactly two days old.
        var now = new[] { new DateTimeOffset(newest, TimeSpan.Zero).AddSeconds(1), uploadStarted }.Max() + 2 * Day;
        _clock.Advance(now - _clock.GetUtcNow());

        var pass = await f.Server.Lifecycle.RunOnceAsync();

        Assert.Equal((4, 2, 1), (pass.Expired, pass.Transitioned, pass.Aborted));
        var left = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.ToDictionary(o => o.Key, o => o.StorageClass.Value);
        Assert.Equal(
            ["Logs/a", "big/a", "big/small", "cold-not/a", "cold/a", "cold/a-day-younger", "log/a", "logs/a-day-younger", "sized/100", "sized/200",
             "tagged/none", "tagged/one-missing", "tagged/wrong-value", "x/logs/a"],
            left.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["big/a", "cold/a"], left.Where(p => p.Value == "GLACIER").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("STANDARD", left["cold/a-day-younger"]);
        Assert.Equal("STANDARD", left["big/small"]);
        var uploads = (await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads.Select(u => u.UploadId);
        Assert.Equal([kept], uploads);

        // A second pass (another node's, or this one's again) finds nothing more to do.
        var again = await f.Server.Lifecycle.RunOnceAsync();
        Assert.Equal((0, 0, 0), (again.Expired, again.Transitioned, again.Aborted));
    }

    [Fact]
    public async Task A_transitioned_sse_c_object_needs_the_guides_restore_with_its_key_before_get()
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var config = """
            <LifecycleConfiguration><Rule><ID>archive after a day</ID><Filter><Prefix>cold/</Prefix></Filter><Status>Enabled</Status>
            <Transition><Days>1</Days><StorageClass>ARCHIVE</StorageClass></Transition></Rule></LifecycleConfiguration>
            """;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("lifecycle", "")], body: Encoding.UTF8.GetBytes(config), headers: [new("Content-Type", "application/xml")]);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var data = new byte[70 * 1024];   // COS never transitions objects under 64 KB
        Random.Shared.NextBytes(data);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "cold/secret", headers: SseKeys.CosCustomer(), body: data)).StatusCode);

        _clock.Advance(Day + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await f.Server.Lifecycle.RunOnceAsync()).Transitioned);

        var head = await cos.SendAsync(HttpMethod.Head, bucket, "cold/secret", headers: SseKeys.CosCustomer());
        Assert.Equal("ARCHIVE", head.Header("x-cos-storage-class"));
        var refused = await cos.SendAsync(HttpMethod.Get, bucket, "cold/secret", headers: SseKeys.CosCustomer());
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidObjectState"), (refused.StatusCode, await refused.ErrorCodeAsync()));

        var restoreXml = "<RestoreRequest><Days>1</Days><CASJobParameters><Tier>Expedited</Tier></CASJobParameters></RestoreRequest>"u8.ToArray();
        var withoutKey = await cos.SendAsync(HttpMethod.Post, bucket, "cold/secret", query: [new("restore", "")], body: restoreXml, headers: [new("Content-Type", "application/xml")]);
        Assert.Equal((HttpStatusCode.BadRequest, "SsecDecryptHeaderInvalid"), (withoutKey.StatusCode, await withoutKey.ErrorCodeAsync()));
        var restore = await cos.SendAsync(HttpMethod.Post, bucket, "cold/secret", query: [new("restore", "")], body: restoreXml,
            headers: [new("Content-Type", "application/xml"), .. SseKeys.CosCustomer()]);
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);

        _clock.Advance(TimeSpan.FromMinutes(5) / Scale + TimeSpan.FromSeconds(1));
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "cold/secret", headers: SseKeys.CosCustomer());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Cos_reads_its_configuration_and_expiration_header_and_a_delete_of_none_is_404()
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        await cos.SendAsync(HttpMethod.Put, bucket);
        var missing = await cos.SendAsync(HttpMethod.Delete, bucket, query: [new("lifecycle", "")]);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchLifecycleConfiguration"), (missing.StatusCode, await missing.ErrorCodeAsync()));

        var config = """
            <LifecycleConfiguration><Rule><ID>tmp files</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>
            <Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>
            """;
        await cos.SendAsync(HttpMethod.Put, bucket, query: [new("lifecycle", "")], body: Encoding.UTF8.GetBytes(config));
        var read = await (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("lifecycle", "")])).Content.ReadAsStringAsync();
        Assert.Contains("<ID>tmp files</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>", read);
        Assert.DoesNotContain("xmlns", read);

        await cos.SendAsync(HttpMethod.Put, bucket, "tmp/a", body: "x"u8.ToArray());
        var head = await cos.SendAsync(HttpMethod.Head, bucket, "tmp/a");
        Assert.Matches("^expiry-date=\"[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\", rule-id=\"tmp%20files\"$", head.Header("x-cos-expiration")!);
        Assert.Null(head.Header("x-amz-expiration"));
        await cos.SendAsync(HttpMethod.Put, bucket, "tmpx", body: "x"u8.ToArray());
        Assert.Null((await cos.SendAsync(HttpMethod.Head, bucket, "tmpx")).Header("x-cos-expiration"));

        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, query: [new("lifecycle", "")])).StatusCode);
        Assert.Null((await cos.SendAsync(HttpMethod.Head, bucket, "tmp/a")).Header("x-cos-expiration"));
    }

    [Fact]
    public async Task In_a_versioned_bucket_expiration_hides_the_current_version_behind_a_delete_marker_and_keeps_it()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        await PutRulesAsync(s3, bucket, ExpireRule("r", "", 1));
        var version = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "kept" })).VersionId;

        _clock.Advance(Day + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await f.Server.Lifecycle.RunOnceAsync()).Expired);

        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var versions = (await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket })).Versions;
        Assert.Equal([(true, true), (false, false)], versions.Select(v => (v.IsDeleteMarker == true, v.IsLatest == true)));
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = version });
        Assert.Equal("kept", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        // The marker is no object: the next pass expires nothing.
        Assert.Equal(0, (await f.Server.Lifecycle.RunOnceAsync()).Expired);
    }

    [Fact]
    public async Task An_expired_object_is_deleted_as_delete_object_does_and_its_blob_is_reclaimed()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket, ExpireRule("r", "", 1));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "large", InputStream = new MemoryStream(new byte[300 * 1024]) });
        var blob = (await f.Server.Services.Store.GetObjectAsync(bucket, "large"))!.Streams.Single().BlobId;
        Assert.True(await f.Server.Services.Blobs.ExistsAsync(blob));

        _clock.Advance(Day + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await f.Server.Lifecycle.RunOnceAsync()).Expired);

        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "large"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await f.Server.Services.Blobs.ExistsAsync(blob) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.False(await f.Server.Services.Blobs.ExistsAsync(blob));
    }

    [Fact]
    public async Task Two_nodes_running_a_pass_at_once_act_on_each_object_once()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket, ExpireRule("expire", "tmp/", 1), new LifecycleRule
        {
            Id = "archive",
            Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "cold/", ObjectSizeGreaterThan = 0 } },
            Status = LifecycleRuleStatus.Enabled,
            Transitions = [new LifecycleTransition { Days = 1, StorageClass = S3StorageClass.Glacier }],
        });
        const int Each = 60;
        await Task.WhenAll(Enumerable.Range(0, Each).SelectMany(i => new[]
        {
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"tmp/{i:D3}", ContentBody = "x" }),
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"cold/{i:D3}", ContentBody = "x" }),
        }));
        _clock.Advance(Day + TimeSpan.FromSeconds(5));

        // A second node's job on the same metadata backend (a lease that lapsed lets two passes overlap).
        await using var other = new Coffer.Server.Hosting.LifecycleJob(f.Server.Services, _clock, TimeSpan.FromHours(1), "another-node");
        var passes = await Task.WhenAll(f.Server.Lifecycle.RunOnceAsync(), other.RunOnceAsync());

        Assert.Equal(Each, passes.Sum(p => p.Expired));
        Assert.Equal(Each, passes.Sum(p => p.Transitioned));
        var left = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects;
        Assert.Equal(Each, left.Count);
        Assert.All(left, o => Assert.Equal(("cold/", "GLACIER"), (o.Key[..5], o.StorageClass.Value)));
    }

    [Fact]
    public async Task Rules_removed_or_changed_during_a_pass_are_not_applied_from_the_listing()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutRulesAsync(s3, bucket, ExpireRule("all", "", 1));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "x" });
        var listed = (await f.Server.Services.Store.GetBucketAsync(bucket))!;   // as the job listed it
        _clock.Advance(Day + TimeSpan.FromSeconds(5));

        await s3.DeleteLifecycleConfigurationAsync(bucket);
        Assert.Equal(0, (await f.Server.Lifecycle.RunBucketAsync(listed)).Expired);
        await PutRulesAsync(s3, bucket, ExpireRule("other", "b/", 1));
        Assert.Equal(0, (await f.Server.Lifecycle.RunBucketAsync(listed)).Expired);
        Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects);

        await PutRulesAsync(s3, bucket, ExpireRule("all", "", 1));
        Assert.Equal(1, (await f.Server.Lifecycle.RunBucketAsync(listed)).Expired);
    }

    // ---------------------------------------------------------------- helpers

    internal static LifecycleRule ExpireRule(string id, string prefix, int days) => new()
    {
        Id = id,
        Filter = new LifecycleFilter { Prefix = prefix },
        Status = LifecycleRuleStatus.Enabled,
        Expiration = new LifecycleRuleExpiration { Days = days },
    };

    internal static Task PutRulesAsync(AmazonS3Client s3, string bucket, params LifecycleRule[] rules) =>
        s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest { BucketName = bucket, Configuration = new LifecycleConfiguration { Rules = [.. rules] } });

    private static async Task<string> NewBucketAsync(AmazonS3Client s3)
    {
        var bucket = CofferFixture.NewBucket("lifecycle");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }
}

/// <summary>The lifecycle job's own loop under a time scale that makes a day a tenth of a second: nobody runs a pass by hand.</summary>
public sealed class LifecycleTimeScaleTests : IAsyncLifetime
{
    private readonly CofferFixture f = new() { Configure = o => o.TimeScale = 864_000 };

    public Task InitializeAsync() => f.InitializeAsync();

    public Task DisposeAsync() => f.DisposeAsync();

    [Fact]
    public async Task With_time_scale_a_day_passes_in_a_fraction_of_a_second_and_the_job_expires_the_object_itself()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket("lifecycle");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "tmp/a", ContentBody = "x" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "keep/a", ContentBody = "x" });
        await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules = [new LifecycleRule { Id = "tmp", Filter = new LifecycleFilter { Prefix = "tmp/" }, Status = LifecycleRuleStatus.Enabled, Expiration = new LifecycleRuleExpiration { Days = 1 } }],
            },
        });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<string> keys;
        do
        {
            await Task.Delay(100);
            keys = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key).ToList();
        }
        while (keys.Contains("tmp/a") && DateTime.UtcNow < deadline);
        Assert.Equal(["keep/a"], keys);
        Assert.True(f.Server.Lifecycle.Job.PassesRun > 0);
    }
}
