using System.Diagnostics;
using System.Text.Json;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>cp and mv in every direction, one object or a folder, and a multipart upload resumed after the process was killed.</summary>
[Collection(TransferServerCollection.Name)]
public sealed class CopyTests(CliServerFixture f)
{
    [Fact]
    public async Task Cp_into_a_folder_keeps_the_source_name()
    {
        var bucket = await f.CreateBucketAsync("name");
        var file = f.RandomFile(10, "named");
        var name = Path.GetFileName(file);
        Assert.Equal($"upload: {file} to cos://{bucket}/dir/{name}", (await f.RunAsync("cp", file, $"cos://{bucket}/dir/")).Ok().Stdout.Trim());
        (await f.RunAsync("cp", file, $"cos://{bucket}")).Ok();
        Assert.Contains(name, (await f.RunAsync("ls", $"cos://{bucket}")).Ok().Stdout);

        var folder = f.NewPath("into");
        Directory.CreateDirectory(folder);
        (await f.RunAsync("cp", $"cos://{bucket}/dir/{name}", folder)).Ok();
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(folder, name)));

        (await f.RunAsync("cp", $"cos://{bucket}/dir/{name}", $"cos://{bucket}/copies/")).Ok();
        Assert.Contains(name, (await f.RunAsync("ls", $"cos://{bucket}/copies/")).Ok().Stdout);
    }

    [Fact]
    public async Task Cp_recursive_uploads_a_folder_downloads_a_prefix_and_copies_a_prefix()
    {
        var bucket = await f.CreateBucketAsync("tree");
        var source = f.NewPath("tree");
        Directory.CreateDirectory(Path.Combine(source, "sub", "deeper"));
        await File.WriteAllTextAsync(Path.Combine(source, "a.txt"), "a");
        await File.WriteAllTextAsync(Path.Combine(source, "sub", "b.txt"), "bb");
        await File.WriteAllTextAsync(Path.Combine(source, "sub", "deeper", "c.txt"), "ccc");

        var up = (await f.RunAsync("cp", "--recursive", source, $"cos://{bucket}/site/", "--sse", "AES256", "--json")).Ok().Json;
        Assert.Equal(3, up.GetProperty("transfers").GetArrayLength());
        Assert.Equal(0, up.GetProperty("failed").GetInt32());
        var keys = (await f.RunAsync("ls", "-r", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!).ToArray();
        Assert.Equal(["site/a.txt", "site/sub/b.txt", "site/sub/deeper/c.txt"], keys);

        var back = f.NewPath("tree-back");
        var down = (await f.RunAsync("cp", "-r", $"cos://{bucket}/site", back)).Ok().Stdout;
        Assert.Equal(3, down.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("download: ", StringComparison.Ordinal)));
        Assert.Equal("ccc", await File.ReadAllTextAsync(Path.Combine(back, "sub", "deeper", "c.txt")));
        Assert.Equal("a", await File.ReadAllTextAsync(Path.Combine(back, "a.txt")));

        (await f.RunAsync("cp", "-r", $"cos://{bucket}/site/", $"cos://{bucket}/mirror/", "--sse", "AES256")).Ok();
        Assert.Equal("bb", (await f.RunAsync("cat", $"cos://{bucket}/mirror/sub/b.txt")).Ok().Stdout);
        Assert.Equal("SSE-COS", (await f.RunAsync("stat", $"cos://{bucket}/mirror/sub/b.txt", "--json")).Ok().Json.GetProperty("encryption").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_recursive_download_skips_keys_that_would_leave_the_folder()
    {
        var bucket = await f.CreateBucketAsync("escape");
        var file = f.RandomFile(5);
        // The server refuses '..' segments itself; an empty segment would make the rest an absolute path.
        (await f.RunAsync("cp", file, $"cos://{bucket}/p//tmp/escaped.txt")).Ok();
        (await f.RunAsync("cp", file, $"cos://{bucket}/p/fine.txt")).Ok();
        var target = f.NewPath("escape");
        var result = (await f.RunAsync("cp", "-r", $"cos://{bucket}/p/", target)).Ok();
        Assert.Contains($"skipping cos://{bucket}/p//tmp/escaped.txt", result.Stderr);
        Assert.True(File.Exists(Path.Combine(target, "fine.txt")));
        Assert.Equal(["fine.txt"], Directory.GetFileSystemEntries(target).Select(p => Path.GetFileName(p)).ToArray());
    }

    [Fact]
    public async Task Mv_moves_local_to_remote_remote_to_remote_and_remote_to_local()
    {
        var bucket = await f.CreateBucketAsync("mv");
        var file = f.RandomFile(1000, "move");
        var content = await File.ReadAllBytesAsync(file);

        Assert.StartsWith("move: ", (await f.RunAsync("mv", file, $"cos://{bucket}/one")).Ok().Stdout);
        Assert.False(File.Exists(file));
        (await f.RunAsync("mv", $"cos://{bucket}/one", $"cos://{bucket}/two", "--sse", "AES256")).Ok();
        (await f.RunAsync("stat", $"cos://{bucket}/one")).Fails(3);
        var back = f.NewPath("moved");
        (await f.RunAsync("mv", $"cos://{bucket}/two", back)).Ok();
        Assert.Equal(content, await File.ReadAllBytesAsync(back));
        Assert.Empty((await f.RunAsync("ls", "-r", $"cos://{bucket}")).Ok().Stdout.Trim());
        Assert.Contains("onto itself", (await f.RunAsync("mv", $"cos://{bucket}/x", $"cos://{bucket}/x")).Fails(2));
    }

    [Fact]
    public async Task Cp_no_clobber_uploads_a_new_key_and_keeps_an_existing_object_single_put_and_multipart()
    {
        var bucket = await f.CreateBucketAsync("noclobber");
        var first = f.RandomFile(10, "first");
        (await f.RunAsync("cp", first, $"cos://{bucket}/k", "--no-clobber")).Ok();

        var second = f.RandomFile(10, "second");
        var error = (await f.RunAsync("cp", second, $"cos://{bucket}/k", "--no-clobber")).Fails(1);
        Assert.Contains("PreconditionFailed", error);
        var back = f.NewPath("back");
        (await f.RunAsync("cp", $"cos://{bucket}/k", back)).Ok();
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(back));

        // A multipart upload is refused at its Complete, over the object that exists.
        var large = f.RandomFile(3 * 1024 * 1024, "large");
        (await f.RunAsync("cp", large, $"cos://{bucket}/k", "--no-clobber", "--multipart-threshold", "1MiB", "--part-size", "1MiB")).Fails(1);
        (await f.RunAsync("cp", $"cos://{bucket}/k", back)).Ok();
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(back));
        (await f.RunAsync("cp", large, $"cos://{bucket}/big", "--no-clobber", "--multipart-threshold", "1MiB", "--part-size", "1MiB")).Ok();

        Assert.Contains("uploads", (await f.RunAsync("cp", $"cos://{bucket}/k", back, "--no-clobber")).Fails(2));
    }

    [Fact]
    public async Task A_storage_class_is_set_on_upload_and_copy()
    {
        var bucket = await f.CreateBucketAsync("class");
        (await f.RunAsync("cp", f.RandomFile(10), $"cos://{bucket}/ia", "--storage-class", "STANDARD_IA")).Ok();
        Assert.Equal("STANDARD_IA", (await f.RunAsync("stat", $"cos://{bucket}/ia", "--json")).Ok().Json.GetProperty("storageClass").GetString());
        (await f.RunAsync("cp", $"cos://{bucket}/ia", $"cos://{bucket}/archived", "--storage-class", "archive")).Ok();
        Assert.Equal("ARCHIVE", (await f.RunAsync("stat", $"cos://{bucket}/archived", "--json")).Ok().Json.GetProperty("storageClass").GetString());
    }

    [Fact]
    public async Task An_upload_stopped_midway_resumes_when_the_same_cp_runs_again()
    {
        var bucket = await f.CreateBucketAsync("resume");
        var file = f.RandomFile(64L * 1024 * 1024, "resume");
        string[] args = ["cp", file, $"cos://{bucket}/big.bin", "--part-size", "1MiB", "--threads", "1", "--sse-c-key", SseKeys.Key1, "--json"];
        Directory.CreateDirectory(f.CheckpointDirectory);
        var before = Directory.GetFiles(f.CheckpointDirectory).ToHashSet();

        // SIGTERM (as Ctrl+C): the command stops, says how to resume, and exits 130.
        var (stopped, stderr) = await StopMidwayAsync(args, before, minParts: 3, kill: false);
        Assert.Equal(130, stopped);
        Assert.Contains("run the same command again", stderr);
        var afterStop = CheckpointParts(before);

        // SIGKILL: nothing runs on the way out; the checkpoint still has every finished part.
        var (killed, _) = await StopMidwayAsync(args, before, minParts: afterStop + 3, kill: true);
        Assert.Equal(137, killed);

        var rerun = (await f.RunAsync(args)).Ok().Json.GetProperty("transfers")[0];
        Assert.True(rerun.GetProperty("resumed").GetBoolean(), rerun.ToString());
        Assert.InRange(rerun.GetProperty("partsSkipped").GetInt32(), afterStop + 3, 63);
        Assert.Equal(64, rerun.GetProperty("parts").GetInt32());
        Assert.Equal(0, CheckpointParts(before));   // the checkpoint is gone once the upload is complete

        var back = f.NewPath("resumed");
        (await f.RunAsync("cp", $"cos://{bucket}/big.bin", back, "--sse-c-key", SseKeys.Key1)).Ok();
        Assert.Equal(CliServerFixture.Sha256(file), CliServerFixture.Sha256(back));
        File.Delete(file);
        File.Delete(back);
        (await f.RunAsync("rb", "--force", $"cos://{bucket}")).Ok();
    }

    /// <summary>Starts coffer and stops it (SIGKILL, or SIGTERM as Ctrl+C) once its checkpoint holds <paramref name="minParts"/> parts.</summary>
    private async Task<(int ExitCode, string Stderr)> StopMidwayAsync(string[] args, HashSet<string> before, int minParts, bool kill)
    {
        using var process = Process.Start(CofferProcess.StartInfo(f.Env(), args, f.WorkDirectory))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var partsSeen = 0;
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            partsSeen = CheckpointParts(before);
            if (partsSeen >= minParts)
            {
                if (kill)
                    process.Kill(entireProcessTree: true);
                else
                    Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                break;
            }
            await Task.Delay(5);
        }
        await process.WaitForExitAsync();
        Assert.True(partsSeen >= minParts, $"the upload was not caught midway (exit code {process.ExitCode}: {await stdout} {await stderr})");
        return (process.ExitCode, await stderr);
    }

    /// <summary>Parts recorded in the upload checkpoint this test made (0 when there is none).</summary>
    private int CheckpointParts(HashSet<string> before)
    {
        foreach (var path in Directory.GetFiles(f.CheckpointDirectory, "upload-*.json").Where(p => !before.Contains(p)))
        {
            try
            {
                return JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("Parts").GetArrayLength();
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Being replaced right now: look again.
            }
        }
        return 0;
    }
}
