using System.Net;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Objects;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// The scrub on PostgreSQL + an S3 blob backend (RGW): the same damage as on the embedded default (a blob altered or
/// removed in the backend bucket) is found object by object, and the progress lives in PostgreSQL, where a scrub
/// started through one node's stores continues through another's.
/// </summary>
public sealed class RemoteScrubTests : IAsyncLifetime
{
    private readonly RemoteServer _remote = new("coffer_scrub");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _remote.DisposeAsync().AsTask();

    [PostgresFact]
    public async Task Damage_in_the_s3_backend_is_found_and_the_progress_is_kept_in_postgresql()
    {
        var f = await _remote.StartAsync();
        var backend = _remote.Backend;

        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        foreach (var key in new[] { "altered", "fine", "removed", "small" })
        {
            var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(key == "small" ? 500 : 150_000);
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, key, body: body)).StatusCode);
        }

        string BlobKey(string key) => RemoteBackend.Prefix + f.Server.Services.Store.GetObjectAsync(bucket, key).Result!.Streams.Single().BlobId;
        var altered = await backend.ReadAsync(BlobKey("altered"));
        altered[altered.Length / 3] ^= 0x04;
        await backend.Client.PutObjectAsync(new PutObjectRequest { BucketName = backend.Bucket, Key = BlobKey("altered"), InputStream = new MemoryStream(altered), UseChunkEncoding = false });
        await backend.Client.DeleteObjectAsync(backend.Bucket, BlobKey("removed"));

        var scrubber = new Scrubber(f.Server.Services.Store, f.Server.Services.Blobs);
        var result = await scrubber.RunAsync(new ScrubRequest(bucket));
        Assert.True(result.Finished);
        Assert.Equal(4, result.Progress.Objects);
        Assert.Equal(2, result.Progress.Damaged);
        Assert.Equal(["altered", "removed"], result.Progress.Findings.Select(x => x.Key).Order().ToArray());
        Assert.Contains("is missing from the blob store", result.Progress.Findings.Single(x => x.Key == "removed").Problem);
        Assert.Contains("does not match the checksum", result.Progress.Findings.Single(x => x.Key == "altered").Problem);

        // The saved progress is in the shared database: another node's stores read it.
        Assert.Equal(1L, await _remote.Database.ScalarAsync<long>($"SELECT count(*) FROM job_state WHERE name = 'scrub:keyless:{bucket}'"));
        var saved = await scrubber.GetProgressAsync(bucket, deep: false);
        Assert.Equal(2, saved!.Damaged);
        Assert.NotNull(saved.Completed);
    }
}
