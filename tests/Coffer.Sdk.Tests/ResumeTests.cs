using System.Text.RegularExpressions;
using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>
/// Interrupted transfers resume from their checkpoints: finished parts are not sent (or
/// fetched) again, counted with a recording handler, and the result is byte-identical.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed partial class ResumeTests(ServerFixture fixture)
{
    private const int Parts = 8;

    [GeneratedRegex(@"partNumber=(\d+)")]
    private static partial Regex PartNumber();

    private static HashSet<int> SuccessfulParts(RecordingHandler recorder) =>
        recorder.Requests.Where(r => r.Method == "PUT" && r.Status == 200)
            .Select(r => PartNumber().Match(r.PathAndQuery)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToHashSet();

    private static List<int> SentParts(RecordingHandler recorder) =>
        recorder.Requests.Where(r => r.Method == "PUT")
            .Select(r => PartNumber().Match(r.PathAndQuery)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [Theory]
    [InlineData("none")]
    [InlineData("cos")]
    [InlineData("kms")]
    [InlineData("c")]
    public async Task A_cancelled_upload_resumes_without_sending_finished_parts_again(string mode)
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var (path, data) = await FileAsync(fixture, Parts * MiB);
        string checkpoint = fixture.NewPath("upload-checkpoint") + ".json";
        UploadFileRequest Request(CancellationTokenSource? cts) => new()
        {
            Bucket = bucket,
            Key = "resumed",
            LocalFilePath = path,
            Sse = Mode(mode),
            MultipartThreshold = MiB,
            PartSize = MiB,
            MaxThreads = 1,
            CheckpointFile = checkpoint,
            Progress = p =>
            {
                if (cts is not null && p.TransferredBytes >= 3 * MiB + MiB / 2)
                {
                    cts.Cancel();
                }
            },
        };

        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.UploadFileAsync(Request(cts), cts.Token));
        }

        var firstRun = SuccessfulParts(recorder);
        Assert.True(firstRun.Count >= 3, $"only {firstRun.Count} parts finished before the cancel");
        Assert.True(File.Exists(checkpoint));
        recorder.Reset();

        var response = await client.UploadFileAsync(Request(null));
        var secondRun = SentParts(recorder);
        Assert.Empty(secondRun.Intersect(firstRun));
        Assert.Equal(Parts - response.PartsSkipped, secondRun.Count);
        Assert.True(response.PartsSkipped >= firstRun.Count);
        Assert.Equal(Enumerable.Range(1, Parts), firstRun.Union(secondRun).Order());
        Assert.False(File.Exists(checkpoint));
        Assert.Equal(data, await ReadAsync(client, bucket, "resumed", ReadKey(mode)));
    }

    [Fact]
    public async Task A_checkpoint_with_other_encryption_is_discarded_and_its_upload_aborted()
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var (path, data) = await FileAsync(fixture, 4 * MiB);
        string checkpoint = fixture.NewPath("cp") + ".json";
        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.UploadFileAsync(new UploadFileRequest
            {
                Bucket = bucket,
                Key = "k",
                LocalFilePath = path,
                Sse = Sse.Kms(),
                MultipartThreshold = MiB,
                PartSize = MiB,
                MaxThreads = 1,
                CheckpointFile = checkpoint,
                Progress = p => { if (p.TransferredBytes >= 2 * MiB) { cts.Cancel(); } },
            }, cts.Token));
        }

        var response = await client.UploadFileAsync(new UploadFileRequest
        {
            Bucket = bucket,
            Key = "k",
            LocalFilePath = path,
            Sse = Sse.Cos(),
            MultipartThreshold = MiB,
            PartSize = MiB,
            CheckpointFile = checkpoint,
        });
        Assert.Equal(0, response.PartsSkipped);
        Assert.Equal("AES256", response.ServerSideEncryption);
        Assert.Equal(1, recorder.Count("DELETE", "uploadId="));
        Assert.Empty((await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { Bucket = bucket })).Uploads);
        Assert.Equal(data, await ReadAsync(client, bucket, "k"));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("c")]
    public async Task A_cancelled_download_resumes_without_fetching_finished_ranges_again(string mode)
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Bytes(Parts * MiB);
        await client.PutObjectAsync(bucket, "obj", data, Mode(mode));
        string dest = fixture.NewPath("download");
        string checkpoint = fixture.NewPath("download-checkpoint") + ".json";
        DownloadFileRequest Request(CancellationTokenSource? cts) => new()
        {
            Bucket = bucket,
            Key = "obj",
            DestFilePath = dest,
            CustomerKey = ReadKey(mode),
            PartSize = MiB,
            MaxThreads = 1,
            CheckpointFile = checkpoint,
            Progress = p =>
            {
                if (cts is not null && p.TransferredBytes >= 3 * MiB + MiB / 2)
                {
                    cts.Cancel();
                }
            },
        };

        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DownloadFileAsync(Request(cts), cts.Token));
        }

        Assert.False(File.Exists(dest));
        Assert.True(File.Exists(checkpoint));
        recorder.Reset();
        var response = await client.DownloadFileAsync(Request(null));
        Assert.True(response.PartsSkipped >= 3, $"only {response.PartsSkipped} ranges were kept");
        Assert.Equal(Parts - response.PartsSkipped, recorder.Count("GET", "/obj"));
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public async Task A_download_checkpoint_is_not_used_once_the_object_changed()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "obj", Bytes(4 * MiB, 1));
        string dest = fixture.NewPath("download");
        string checkpoint = fixture.NewPath("cp") + ".json";
        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DownloadFileAsync(new DownloadFileRequest
            {
                Bucket = bucket,
                Key = "obj",
                DestFilePath = dest,
                PartSize = MiB,
                MaxThreads = 1,
                CheckpointFile = checkpoint,
                Progress = p => { if (p.TransferredBytes >= 2 * MiB) { cts.Cancel(); } },
            }, cts.Token));
        }

        var changed = Bytes(4 * MiB, 2);
        await client.PutObjectAsync(bucket, "obj", changed);
        var response = await client.DownloadFileAsync(new DownloadFileRequest { Bucket = bucket, Key = "obj", DestFilePath = dest, PartSize = MiB, CheckpointFile = checkpoint });
        Assert.Equal(0, response.PartsSkipped);
        Assert.Equal(changed, await File.ReadAllBytesAsync(dest));
    }
}
