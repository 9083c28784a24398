using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Archive storage classes and RestoreObject against a server of each test's own, whose time runs
/// <see cref="Scale"/> times faster (an Expedited ARCHIVE restore, 5 minutes, takes 2 seconds) and
/// whose restore clock the test can move forward (a restored day passes at once).
/// </summary>
public sealed class RestoreTests : IAsyncLifetime
{
    private const double Scale = 150;
    private static readonly TimeSpan Expedited = TimeSpan.FromMinutes(5) / Scale;
    private readonly ShiftableClock _clock = new();
    private readonly CofferFixture f;

    public RestoreTests() => f = new CofferFixture { Configure = o => { o.TimeScale = Scale; o.RestoreClock = _clock; } };

    public Task InitializeAsync() => f.InitializeAsync();

    public Task DisposeAsync() => f.DisposeAsync();

    [Fact]
    public async Task An_archived_object_is_readable_only_while_a_restore_lasts()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cold", ContentBody = "frozen", StorageClass = S3StorageClass.Glacier });
        await AssertArchivedAsync(s3, bucket, "cold");
        var head = await s3.GetObjectMetadataAsync(bucket, "cold");
        Assert.Equal("GLACIER", head.StorageClass.Value);
        Assert.NotEqual(true, head.RestoreInProgress);

        var started = await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = bucket, Key = "cold", Days = 1, Tier = GlacierJobTier.Expedited });
        Assert.Equal(HttpStatusCode.Accepted, started.HttpStatusCode);
        Assert.True((await s3.GetObjectMetadataAsync(bucket, "cold")).RestoreInProgress);
        var again = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.RestoreObjectAsync(bucket, "cold", 1));
        Assert.Equal((HttpStatusCode.Conflict, "RestoreAlreadyInProgress"), (again.StatusCode, again.ErrorCode));
        await AssertArchivedAsync(s3, bucket, "cold");

        var done = await WaitForRestoreAsync(s3, bucket, "cold");
        Assert.False(done.RestoreInProgress);
        var expiry = done.RestoreExpiration!.Value;
        Assert.InRange(expiry - DateTime.UtcNow, TimeSpan.FromDays(1) / Scale - TimeSpan.FromSeconds(30), TimeSpan.FromDays(1) / Scale + TimeSpan.FromSeconds(5));
        Assert.Equal("GLACIER", done.StorageClass.Value);
        using (var get = await s3.GetObjectAsync(bucket, "cold"))
            Assert.Equal("frozen", await new StreamReader(get.ResponseStream).ReadToEndAsync());

        var extended = await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = bucket, Key = "cold", Days = 2, Tier = GlacierJobTier.Bulk });
        Assert.Equal(HttpStatusCode.OK, extended.HttpStatusCode);
        Assert.True((await s3.GetObjectMetadataAsync(bucket, "cold")).RestoreExpiration > expiry);

        _clock.Advance(TimeSpan.FromDays(2) / Scale + TimeSpan.FromSeconds(1));
        await AssertArchivedAsync(s3, bucket, "cold");
        var expired = await s3.GetObjectMetadataAsync(bucket, "cold");
        Assert.Null(expired.RestoreExpiration);
        Assert.NotEqual(true, expired.RestoreInProgress);
        var restartable = await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = bucket, Key = "cold", Days = 1, Tier = GlacierJobTier.Expedited });
        Assert.Equal(HttpStatusCode.Accepted, restartable.HttpStatusCode);
    }

    [Fact]
    public async Task Cos_head_and_list_show_the_restore_as_cos_does()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        await cos.SendAsync(HttpMethod.Put, bucket, "cold", headers: [new("x-cos-storage-class", "ARCHIVE")], body: "frozen"u8.ToArray());
        var refused = await cos.SendAsync(HttpMethod.Get, bucket, "cold");
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidObjectState"), (refused.StatusCode, await refused.ErrorCodeAsync()));
        Assert.Equal("ARCHIVE", refused.Header("x-cos-storage-class"));
        Assert.DoesNotContain("<RestoreStatus>", await ListAsync(cos, bucket));

        var before = DateTimeOffset.UtcNow;
        var started = await RestoreAsync(cos, bucket, "cold", 1, "Expedited");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

        var ongoing = await cos.SendAsync(HttpMethod.Head, bucket, "cold");
        Assert.Equal("ongoing-request=\"true\"", ongoing.Header("x-cos-restore"));
        var status = ongoing.Header("x-cos-restore-status")!;
        Assert.StartsWith("tier=\"expedited\"; request-date=\"", status);
        var requestDate = DateTimeOffset.Parse(status.Split('"')[3]);
        Assert.InRange(requestDate, before.AddSeconds(-2), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("ARCHIVE", ongoing.Header("x-cos-storage-class"));
        Assert.Contains("<RestoreStatus>ONGOING</RestoreStatus>", await ListAsync(cos, bucket));
        Assert.Equal(HttpStatusCode.Conflict, (await RestoreAsync(cos, bucket, "cold", 1, "Expedited")).StatusCode);

        await Task.Delay(Expedited + TimeSpan.FromMilliseconds(300));
        var done = await cos.SendAsync(HttpMethod.Head, bucket, "cold");
        var restore = done.Header("x-cos-restore")!;
        Assert.StartsWith("ongoing-request=\"false\", expiry-date=\"", restore);
        Assert.EndsWith(" GMT\"", restore);
        Assert.Null(done.Header("x-cos-restore-status"));
        Assert.Contains("<RestoreStatus>DONE</RestoreStatus>", await ListAsync(cos, bucket));
        Assert.Equal("frozen", await (await cos.SendAsync(HttpMethod.Get, bucket, "cold")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await RestoreAsync(cos, bucket, "cold", 3, "Standard")).StatusCode);
    }

    [Fact]
    public async Task Guide_restore_of_an_sse_c_archive_object_needs_its_key()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-c", headers: [.. SseKeys.CosCustomer(), new("x-cos-storage-class", "ARCHIVE")], body: "00000"u8.ToArray());

        var without = await RestoreAsync(cos, bucket, "sdk-sse-c", 1, "Expedited");
        var wrong = await RestoreAsync(cos, bucket, "sdk-sse-c", 1, "Expedited", SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5));
        Assert.Equal((HttpStatusCode.BadRequest, "SsecDecryptHeaderInvalid"), (without.StatusCode, await without.ErrorCodeAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (wrong.StatusCode, await wrong.ErrorCodeAsync()));
        Assert.Null((await cos.SendAsync(HttpMethod.Head, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer())).Header("x-cos-restore"));

        var started = await RestoreAsync(cos, bucket, "sdk-sse-c", 1, "Expedited", SseKeys.CosCustomer());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var early = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer());
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidObjectState"), (early.StatusCode, await early.ErrorCodeAsync()));

        await Task.Delay(Expedited + TimeSpan.FromMilliseconds(300));
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer());
        Assert.Equal("00000", await get.Content.ReadAsStringAsync());
        Assert.StartsWith("ongoing-request=\"false\"", get.Header("x-cos-restore"));
        var noKey = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c");
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
    }

    [Fact]
    public async Task A_restart_in_the_middle_of_a_restore_neither_loses_nor_repeats_it()
    {
        var bucket = CosRawClient.NewBucket();
        string ongoingStatus;
        using (var cos = new CosRawClient(f))
        {
            await cos.SendAsync(HttpMethod.Put, bucket);
            await cos.SendAsync(HttpMethod.Put, bucket, "cold", headers: [new("x-cos-storage-class", "ARCHIVE")], body: "frozen"u8.ToArray());
            Assert.Equal(HttpStatusCode.Accepted, (await RestoreAsync(cos, bucket, "cold", 1, "Standard")).StatusCode);
            ongoingStatus = (await cos.SendAsync(HttpMethod.Head, bucket, "cold")).Header("x-cos-restore-status")!;
        }
        var recorded = (await f.Server.Services.Store.GetObjectAsync(bucket, "cold"))!.Restore!;

        await f.RestartAsync();

        using (var cos = new CosRawClient(f))
        {
            var head = await cos.SendAsync(HttpMethod.Head, bucket, "cold");
            Assert.Equal("ongoing-request=\"true\"", head.Header("x-cos-restore"));
            Assert.Equal(ongoingStatus, head.Header("x-cos-restore-status"));
            Assert.Equal(HttpStatusCode.Conflict, (await RestoreAsync(cos, bucket, "cold", 1, "Expedited")).StatusCode);

            _clock.Advance(recorded.ReadyAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1));
            var done = await cos.SendAsync(HttpMethod.Head, bucket, "cold");
            Assert.Equal($"ongoing-request=\"false\", expiry-date=\"{recorded.ExpiresAt.UtcDateTime:r}\"", done.Header("x-cos-restore"));
            Assert.Equal(recorded, (await f.Server.Services.Store.GetObjectAsync(bucket, "cold"))!.Restore);
            Assert.Equal("frozen", await (await cos.SendAsync(HttpMethod.Get, bucket, "cold")).Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await RestoreAsync(cos, bucket, "cold", 1, "Standard")).StatusCode);
        }
    }

    [Fact]
    public async Task Deep_archive_has_no_expedited_tier_and_restores_with_standard()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        await cos.SendAsync(HttpMethod.Put, bucket, "deep", headers: [new("x-cos-storage-class", "DEEP_ARCHIVE")], body: "abyss"u8.ToArray());

        var expedited = await RestoreAsync(cos, bucket, "deep", 1, "Expedited");
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (expedited.StatusCode, await expedited.ErrorCodeAsync()));
        Assert.Null((await cos.SendAsync(HttpMethod.Head, bucket, "deep")).Header("x-cos-restore"));

        Assert.Equal(HttpStatusCode.Accepted, (await RestoreAsync(cos, bucket, "deep", 1, "Standard")).StatusCode);
        var state = (await f.Server.Services.Store.GetObjectAsync(bucket, "deep"))!.Restore!;
        Assert.Equal(TimeSpan.FromHours(24) / Scale, state.ReadyAt - state.RequestDate);
    }

    [Fact]
    public async Task A_non_archive_object_is_not_restored_in_either_family()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        await cos.SendAsync(HttpMethod.Put, bucket, "warm", headers: [new("x-cos-storage-class", "STANDARD_IA")], body: "w"u8.ToArray());

        var viaCos = await RestoreAsync(cos, bucket, "warm", 1, "Expedited");
        using var s3 = Clients.S3(f, https: true);
        var viaS3 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.RestoreObjectAsync(bucket, "warm", 1));

        Assert.Equal((HttpStatusCode.MethodNotAllowed, "RestoreNonArchiveObject"), (viaCos.StatusCode, await viaCos.ErrorCodeAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidObjectState"), (viaS3.StatusCode, viaS3.ErrorCode));
        Assert.Null((await f.Server.Services.Store.GetObjectAsync(bucket, "warm"))!.Restore);
    }

    [Theory]
    [InlineData("<RestoreRequest><CASJobParameters><Tier>Expedited</Tier></CASJobParameters></RestoreRequest>", 400, "MalformedXML")]
    [InlineData("<RestoreRequest><Days>0</Days></RestoreRequest>", 400, "InvalidArgument")]
    [InlineData("<RestoreRequest><Days>366</Days></RestoreRequest>", 400, "InvalidArgument")]
    [InlineData("<RestoreRequest><Days>1</Days><CASJobParameters><Tier>Now</Tier></CASJobParameters></RestoreRequest>", 400, "MalformedXML")]
    [InlineData("<Restore><Days>1</Days></Restore>", 400, "MalformedXML")]
    public async Task Bad_restore_requests_are_refused_and_start_nothing(string xml, int status, string code)
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        await cos.SendAsync(HttpMethod.Put, bucket, "cold", headers: [new("x-cos-storage-class", "ARCHIVE")], body: "c"u8.ToArray());

        var response = await cos.SendAsync(HttpMethod.Post, bucket, "cold", query: [new("restore", "")], body: Encoding.UTF8.GetBytes(xml));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, await response.ErrorCodeAsync());
        Assert.Null((await f.Server.Services.Store.GetObjectAsync(bucket, "cold"))!.Restore);
    }

    [Fact]
    public async Task Restoring_a_missing_key_is_NoSuchKey()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var response = await RestoreAsync(cos, bucket, "nothing", 1, "Standard");
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (response.StatusCode, await response.ErrorCodeAsync()));
    }

    [Fact]
    public async Task S3_listing_shows_the_restore_status_when_asked()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cold", ContentBody = "c", StorageClass = S3StorageClass.Glacier });
        await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = bucket, Key = "cold", Days = 1, Tier = GlacierJobTier.Expedited });

        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, OptionalObjectAttributes = ["RestoreStatus"] })).S3Objects.Single();

        Assert.Equal("GLACIER", listed.StorageClass.Value);
        Assert.True(listed.RestoreStatus.IsRestoreInProgress);
        var plain = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Single();
        Assert.Null(plain.RestoreStatus);
    }

    // ---------------------------------------------------------------- helpers

    private static async Task<string> NewBucketAsync(AmazonS3Client s3)
    {
        var bucket = CofferFixture.NewBucket("restore");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private static async Task<string> NewCosBucketAsync(CosRawClient cos)
    {
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return bucket;
    }

    /// <summary>POST ?restore as the Python SDK's restore_object sends it (CASJobParameters), with optional SSE-C headers.</summary>
    private static Task<HttpResponseMessage> RestoreAsync(CosRawClient cos, string bucket, string key, int days, string tier, KeyValuePair<string, string>[]? headers = null)
    {
        var xml = $"<RestoreRequest><Days>{days}</Days><CASJobParameters><Tier>{tier}</Tier></CASJobParameters></RestoreRequest>";
        return cos.SendAsync(HttpMethod.Post, bucket, key, query: [new("restore", "")], body: Encoding.UTF8.GetBytes(xml),
            headers: [new("Content-Type", "application/xml"), .. headers ?? []]);
    }

    private static async Task<string> ListAsync(CosRawClient cos, string bucket) =>
        await (await cos.SendAsync(HttpMethod.Get, bucket)).Content.ReadAsStringAsync();

    private static async Task AssertArchivedAsync(AmazonS3Client s3, string bucket, string key)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, key));
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidObjectState"), (e.StatusCode, e.ErrorCode));
    }

    private static async Task<GetObjectMetadataResponse> WaitForRestoreAsync(AmazonS3Client s3, string bucket, string key)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var head = await s3.GetObjectMetadataAsync(bucket, key);
            if (head.RestoreInProgress != true || DateTime.UtcNow > deadline)
                return head;
            await Task.Delay(100);
        }
    }
}
