using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Coffer.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Real filesystem faults under a real server (docs/reliability.md): the data folder on a small tmpfs filled until
/// writes fail, and the blob folder remounted read-only. Writes (single PUT and multipart parts, plain and SSE) get
/// 503 SlowDown / ServiceUnavailable, never a 500; reads keep working; nothing half-written is visible or left on
/// disk; once space (or write access) is back the same server takes writes again. Mounting needs root (CI and the
/// project's machines run as root); where mount fails the test says so and runs the same checks on the
/// fault-injecting blob store instead (<see cref="OutageBlobStore"/>), never skipping silently.
/// </summary>
public sealed class FilesystemFaultTests(ITestOutputHelper output)
{
    private const int Blob = 2 * 1024 * 1024;   // far above the inline limit: these objects and parts are blobs

    [Fact]
    public async Task A_full_data_folder_answers_503_slow_down_keeps_reads_and_leaves_nothing_then_heals_without_a_restart()
    {
        var mount = NewMountPoint();
        var mounted = TryRun("mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", mount);
        OutageBlobStore? fallback = null;
        var f = mounted is null
            ? new CofferFixture { DataDirectory = mount }
            : new CofferFixture { DataDirectory = mount, Configure = o => o.WrapBlobs = inner => fallback = new OutageBlobStore(inner) };
        if (mounted is not null)
            output.WriteLine($"mount -t tmpfs failed ({mounted}): the full disk is simulated by the fault-injecting blob store (ENOSPC at commit) instead.");
        var filler = Path.Combine(mount, "filler");
        try
        {
            await f.InitializeAsync();
            await RunScenarioAsync(f, mount, "SlowDown", "storage is full",
                breakAsync: () =>
                {
                    if (fallback is not null)
                    {
                        fallback.CommitErrno = 28;
                        return Task.CompletedTask;
                    }
                    // Fill the filesystem to its last byte, as another tenant of the disk would.
                    using var fill = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
                    var chunk = new byte[64 * 1024];
                    try
                    {
                        while (true)
                            fill.Write(chunk);
                    }
                    catch (IOException e) when (e.HResult == 28)
                    {
                        output.WriteLine($"filled {mount}: {fill.Position / 1024} KiB of filler, then ENOSPC");
                    }
                    return Task.CompletedTask;
                },
                healAsync: () =>
                {
                    if (fallback is not null)
                        fallback.CommitErrno = 0;
                    File.Delete(filler);
                    return Task.CompletedTask;
                });
        }
        finally
        {
            await f.DisposeAsync();
            if (mounted is null)
                Unmount(mount);
            TryDelete(mount);
        }
    }

    /// <summary>
    /// The blob folder (<c>--blobs file:DIR</c>, its own tmpfs) remounted read-only. The whole data folder cannot be:
    /// the kernel refuses to remount read-only a filesystem with a file open for writing, which SQLite's database is
    /// while the server runs — a read-only metadata database is covered by StorageFaults' SQLITE_READONLY mapping.
    /// </summary>
    [Fact]
    public async Task A_read_only_blob_folder_answers_503_keeps_reads_and_small_objects_then_heals_without_a_restart()
    {
        var mount = NewMountPoint();
        var mounted = TryRun("mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", mount);
        OutageBlobStore? fallback = null;
        var f = mounted is null
            ? new CofferFixture { Configure = o => o.Blobs = "file:" + mount }
            : new CofferFixture { Configure = o => o.WrapBlobs = inner => fallback = new OutageBlobStore(inner) };
        if (mounted is not null)
            output.WriteLine($"mount -t tmpfs failed ({mounted}): the read-only folder is simulated by the fault-injecting blob store (EROFS at commit) instead.");
        try
        {
            await f.InitializeAsync();
            var blobFolder = mounted is null ? mount : f.DataDirectory;
            await RunScenarioAsync(f, blobFolder, "ServiceUnavailable", "read-only",
                breakAsync: () =>
                {
                    if (fallback is not null)
                        fallback.CommitErrno = 30;
                    else if (TryRun("mount", "-o", "remount,ro", mount) is { } error)
                        throw new InvalidOperationException("remount,ro failed: " + error);
                    return Task.CompletedTask;
                },
                healAsync: () =>
                {
                    if (fallback is not null)
                        fallback.CommitErrno = 0;
                    else if (TryRun("mount", "-o", "remount,rw", mount) is { } error)
                        throw new InvalidOperationException("remount,rw failed: " + error);
                    return Task.CompletedTask;
                },
                smallWritesWork: true);
        }
        finally
        {
            await f.DisposeAsync();
            if (mounted is null)
            {
                TryRun("mount", "-o", "remount,rw", mount);
                Unmount(mount);
            }
            TryDelete(mount);
        }
    }

    /// <summary>
    /// The common checks. <paramref name="blobRoot"/> holds the blob store's blobs/ and tmp/ folders.
    /// <paramref name="smallWritesWork"/>: whether an object small enough for its metadata row must still be written
    /// (true when only the blob folder is broken); otherwise it may be written or refused with the same 503.
    /// </summary>
    private async Task RunScenarioAsync(CofferFixture f, string blobRoot, string code, string message,
        Func<Task> breakAsync, Func<Task> healAsync, bool smallWritesWork = false)
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var plain = RandomNumberGenerator.GetBytes(Blob);
        var sealedOld = RandomNumberGenerator.GetBytes(Blob);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "plain", body: plain)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "sse", body: sealedOld, headers: [new("x-cos-server-side-encryption", "AES256")])).StatusCode);
        var upload = await cos.SendAsync(HttpMethod.Post, bucket, "mp", query: [KeyValuePair.Create("uploads", "")]);
        var uploadId = Regex.Match(await upload.Content.ReadAsStringAsync(), "<UploadId>([^<]+)</UploadId>").Groups[1].Value;
        Assert.NotEmpty(uploadId);
        var listingBefore = await ListingAsync(cos, bucket);
        Assert.Equal(2, listingBefore.Count);
        var blobsBefore = BlobFiles(blobRoot);
        Assert.Equal(2, blobsBefore.Count);

        await breakAsync();
        var answers = new List<(string What, HttpResponseMessage Answer)>();
        try
        {
            answers.Add(("PUT over a plain object", await cos.SendAsync(HttpMethod.Put, bucket, "plain", body: RandomNumberGenerator.GetBytes(Blob))));
            answers.Add(("PUT SSE-COS over an SSE object", await cos.SendAsync(HttpMethod.Put, bucket, "sse", body: RandomNumberGenerator.GetBytes(Blob),
                headers: [new("x-cos-server-side-encryption", "AES256")])));
            answers.Add(("PUT of a new key", await cos.SendAsync(HttpMethod.Put, bucket, "new", body: RandomNumberGenerator.GetBytes(Blob))));
            answers.Add(("upload part", await cos.SendAsync(HttpMethod.Put, bucket, "mp",
                query: [KeyValuePair.Create("partNumber", "1"), KeyValuePair.Create("uploadId", uploadId)], body: RandomNumberGenerator.GetBytes(Blob))));

            // Reads keep working meanwhile: whole, ranged, listing.
            Assert.Equal(plain, await (await cos.SendAsync(HttpMethod.Get, bucket, "plain")).Content.ReadAsByteArrayAsync());
            Assert.Equal(sealedOld, await (await cos.SendAsync(HttpMethod.Get, bucket, "sse")).Content.ReadAsByteArrayAsync());
            var ranged = await cos.SendAsync(HttpMethod.Get, bucket, "sse", headers: [new("Range", "bytes=100000-100099")]);
            Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
            Assert.Equal(sealedOld.AsSpan(100000, 100).ToArray(), await ranged.Content.ReadAsByteArrayAsync());
            Assert.Equal(listingBefore, await ListingAsync(cos, bucket));
            var parts = await (await cos.SendAsync(HttpMethod.Get, bucket, "mp", query: [KeyValuePair.Create("uploadId", uploadId)])).Content.ReadAsStringAsync();
            Assert.DoesNotContain("<Part>", parts, StringComparison.Ordinal);

            // An object small enough for its metadata row.
            var small = await cos.SendAsync(HttpMethod.Put, bucket, "small", body: "small data"u8.ToArray());
            if (smallWritesWork || small.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.OK, small.StatusCode);
                Assert.Equal("small data", await (await cos.SendAsync(HttpMethod.Get, bucket, "small")).Content.ReadAsStringAsync());
                output.WriteLine("a small (inline) object was still written");
            }
            else
            {
                answers.Add(("PUT of a small (inline) object", small));
            }
        }
        finally
        {
            await healAsync();
        }

        foreach (var (what, answer) in answers)
        {
            var body = await answer.Content.ReadAsStringAsync();
            output.WriteLine($"{what}: {(int)answer.StatusCode} {Regex.Match(body, "<Code>[^<]*</Code>").Value}");
            Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)answer.StatusCode} {body}");
            Assert.Contains($"<Code>{code}</Code>", body, StringComparison.Ordinal);
            Assert.Contains(message, body, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Coffer.", body, StringComparison.Ordinal);
        }

        // Nothing half-written is visible, and nothing is left on disk once the orphan sweep has run.
        Assert.Equal(plain, await (await cos.SendAsync(HttpMethod.Get, bucket, "plain")).Content.ReadAsByteArrayAsync());
        Assert.Equal(sealedOld, await (await cos.SendAsync(HttpMethod.Get, bucket, "sse")).Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Get, bucket, "new")).StatusCode);
        Assert.Equal(listingBefore, (await ListingAsync(cos, bucket)).Where(k => !k.StartsWith("small ", StringComparison.Ordinal)).ToList());
        await f.Server.OrphanSweep.RunOnceAsync();
        Assert.Equal(blobsBefore, BlobFiles(blobRoot));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(blobRoot, "tmp")));

        // Space (write access) is back: the same server, not restarted, takes every kind of write again.
        var plain2 = RandomNumberGenerator.GetBytes(Blob);
        var sealed2 = RandomNumberGenerator.GetBytes(Blob);
        var part = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "plain", body: plain2)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "sse", body: sealed2, headers: [new("x-cos-server-side-encryption", "AES256")])).StatusCode);
        var partAnswer = await cos.SendAsync(HttpMethod.Put, bucket, "mp", query: [KeyValuePair.Create("partNumber", "1"), KeyValuePair.Create("uploadId", uploadId)], body: part);
        Assert.Equal(HttpStatusCode.OK, partAnswer.StatusCode);
        var complete = $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{partAnswer.Headers.ETag!.Tag}</ETag></Part></CompleteMultipartUpload>";
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Post, bucket, "mp", query: [KeyValuePair.Create("uploadId", uploadId)],
            body: System.Text.Encoding.UTF8.GetBytes(complete))).StatusCode);
        Assert.Equal(plain2, await (await cos.SendAsync(HttpMethod.Get, bucket, "plain")).Content.ReadAsByteArrayAsync());
        Assert.Equal(sealed2, await (await cos.SendAsync(HttpMethod.Get, bucket, "sse")).Content.ReadAsByteArrayAsync());
        Assert.Equal(part, await (await cos.SendAsync(HttpMethod.Get, bucket, "mp")).Content.ReadAsByteArrayAsync());
    }

    /// <summary>The listing as "key etag size" lines.</summary>
    private static async Task<List<string>> ListingAsync(CosRawClient cos, string bucket)
    {
        var xml = await (await cos.SendAsync(HttpMethod.Get, bucket)).Content.ReadAsStringAsync();
        return [.. Regex.Matches(xml, "<Contents>.*?</Contents>", RegexOptions.Singleline).Select(m =>
            $"{Regex.Match(m.Value, "<Key>([^<]*)</Key>").Groups[1].Value} {Regex.Match(m.Value, "<ETag>([^<]*)</ETag>").Groups[1].Value} {Regex.Match(m.Value, "<Size>(\\d+)</Size>").Groups[1].Value}")];
    }

    private static List<string> BlobFiles(string root) =>
        [.. Directory.EnumerateFiles(Path.Combine(root, "blobs"), "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    private static string NewMountPoint()
    {
        var path = Path.Combine(Path.GetTempPath(), "coffer-fault-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static void Unmount(string path)
    {
        if (TryRun("umount", path) is not null)
            TryRun("umount", "-l", path);   // something still held it (a dying server thread): detach it lazily
    }

    private static void TryDelete(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Runs a command; null when it succeeded, else what it said.</summary>
    private static string? TryRun(string file, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args)
                start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"exit {p.ExitCode}: {err.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    }
}
