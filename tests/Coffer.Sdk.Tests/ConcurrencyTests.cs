using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>MaxThreads bounds the requests in flight, measured by a handler that holds each request for a moment.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests(ServerFixture fixture)
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Upload_file_keeps_at_most_MaxThreads_parts_in_flight(int threads)
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var (path, _) = await FileAsync(fixture, 8 * MiB);
        recorder.Reset();
        recorder.Delay = TimeSpan.FromMilliseconds(150);
        await client.UploadFileAsync(new UploadFileRequest { Bucket = bucket, Key = "k", LocalFilePath = path, MultipartThreshold = MiB, PartSize = MiB, MaxThreads = threads });
        Assert.Equal(threads, recorder.MaxInFlight);
    }

    [Fact]
    public async Task Download_file_keeps_at_most_MaxThreads_ranges_in_flight()
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "k", Bytes(4 * MiB));
        recorder.Reset();
        recorder.Delay = TimeSpan.FromMilliseconds(150);
        await client.DownloadFileAsync(new DownloadFileRequest { Bucket = bucket, Key = "k", DestFilePath = fixture.NewPath(), PartSize = 512 * 1024, MaxThreads = 2 });
        Assert.Equal(2, recorder.MaxInFlight);
    }

    [Fact]
    public async Task Copy_keeps_at_most_MaxThreads_part_copies_in_flight()
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "src", Bytes(5 * MiB));
        recorder.Reset();
        recorder.Delay = TimeSpan.FromMilliseconds(150);
        await client.CopyAsync(new CopyRequest { Bucket = bucket, Key = "dst", CopySource = new CopySource(bucket, "src"), CopyThreshold = MiB, PartSize = MiB, MaxThreads = 2 });
        Assert.Equal(2, recorder.MaxInFlight);
    }
}
