using System.IO.Hashing;
using Coffer.Cli.Tests.Infrastructure;
using Coffer.Server.Hosting;
using Microsoft.Data.Sqlite;

namespace Coffer.Cli.Tests;

/// <summary>
/// coffer admin scrub against the data folder of a running server: damage made on disk (a flipped byte, a cut or
/// missing blob, data re-sealed under a forged checksum) is reported object by object with exit code 5, untouched
/// objects never are, and the saved progress can be read back with --status.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ScrubCommandTests(CliServerFixture f)
{
    /// <summary>A blob's file, made writable (blobs are stored read-only) so a test can damage it.</summary>
    private string BlobPath(string blobId)
    {
        var path = Path.Combine(new DataFolder(f.DataDirectory).BlobRoot, "blobs", blobId[..2], blobId[2..4], blobId);
        if (File.Exists(path))
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private async Task<string> BlobOfAsync(string bucket, string key)
    {
        var obj = await f.Server.Services.Store.GetObjectAsync(bucket, key);
        var stream = Assert.Single(obj!.Streams);
        Assert.False(stream.IsInline);
        return stream.BlobId;
    }

    /// <summary>A run that found damage: exit code 5, the findings and summary on standard output.</summary>
    private static string Damaged(CliResult run)
    {
        Assert.True(run.ExitCode == ScrubCommand.DamageFound, $"expected exit code {ScrubCommand.DamageFound}; got {run.ExitCode}. stdout: {run.Stdout} stderr: {run.Stderr}");
        return run.Stdout;
    }

    private async Task<string> FilledBucketAsync()
    {
        var bucket = await f.CreateBucketAsync("scrub");
        (await f.RunAsync("cp", f.RandomFile(2_000), $"cos://{bucket}/small-inline")).Ok();
        (await f.RunAsync("cp", f.RandomFile(300_000), $"cos://{bucket}/flipped", "--sse", "AES256")).Ok();
        (await f.RunAsync("cp", f.RandomFile(300_000), $"cos://{bucket}/cut", "--sse", "cos/kms")).Ok();
        (await f.RunAsync("cp", f.RandomFile(300_000), $"cos://{bucket}/gone")).Ok();
        (await f.RunAsync("cp", f.RandomFile(300_000), $"cos://{bucket}/intact-ssec", "--sse-c-key", SseKeys.Key1)).Ok();
        (await f.RunAsync("cp", f.RandomFile(300_000), $"cos://{bucket}/intact", "--sse", "AES256")).Ok();
        return bucket;
    }

    [Fact]
    public async Task Scrub_reports_exactly_the_damaged_objects_and_exits_5()
    {
        var bucket = await FilledBucketAsync();
        var clean = (await f.RunAsync("admin", "scrub", "--bucket", bucket, "--data", f.DataDirectory, "--json")).Ok().Json;
        Assert.Equal(6, clean.GetProperty("objects").GetInt64());
        Assert.Equal(0, clean.GetProperty("damaged").GetInt64());
        Assert.True(clean.GetProperty("finished").GetBoolean());
        Assert.True(clean.GetProperty("bytes").GetInt64() > 5 * 300_000);

        // A flipped byte in the middle of one blob, the tail cut off another, a third deleted.
        var flipped = BlobPath(await BlobOfAsync(bucket, "flipped"));
        var bytes = await File.ReadAllBytesAsync(flipped);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(flipped, bytes);
        var cut = BlobPath(await BlobOfAsync(bucket, "cut"));
        await using (var file = File.OpenWrite(cut))
            file.SetLength(file.Length - 100);
        File.Delete(BlobPath(await BlobOfAsync(bucket, "gone")));

        var output = Damaged(await f.RunAsync("admin", "scrub", "--bucket", bucket, "--data", f.DataDirectory));
        Assert.Contains($"DAMAGED {bucket}/flipped (version null): its data: blob", output);
        Assert.Contains("does not match the checksum recorded when it was written", output);
        Assert.Contains($"DAMAGED {bucket}/cut (version null)", output);
        Assert.Matches(@"cut \(version null\): its data: blob [0-9a-f]+ holds \d+ bytes, \d+ were written", output);
        Assert.Contains($"DAMAGED {bucket}/gone (version null)", output);
        Assert.Contains("is missing from the blob store", output);
        Assert.DoesNotContain($"{bucket}/intact", output);
        Assert.DoesNotContain($"{bucket}/small-inline", output);
        Assert.Contains("6 objects", output);
        Assert.Contains("3 damaged", output);

        // The saved progress tells the same without reading anything again.
        var status = await f.RunAsync("admin", "scrub", "--bucket", bucket, "--data", f.DataDirectory, "--status", "--json");
        Assert.Equal(ScrubCommand.DamageFound, status.ExitCode);
        var findings = status.Json.GetProperty("findings").EnumerateArray().Select(x => x.GetProperty("key").GetString()!).Order().ToArray();
        Assert.Equal(["cut", "flipped", "gone"], findings);
        Assert.True(status.Json.GetProperty("finished").GetBoolean());
    }

    [Fact]
    public async Task Deep_scrub_decrypts_and_finds_damage_that_matches_its_forged_checksum()
    {
        var bucket = await FilledBucketAsync();
        var deep = (await f.RunAsync("admin", "scrub", "--bucket", bucket, "--deep", "--data", f.DataDirectory, "--json")).Ok().Json;
        Assert.Equal(0, deep.GetProperty("damaged").GetInt64());
        Assert.Equal(1, deep.GetProperty("notDecrypted").GetInt64()); // the SSE-C object: checked keyless only

        // Bytes changed by someone who also rewrote the recorded checksum: the keyless check cannot tell, decryption can.
        var obj = (await f.Server.Services.Store.GetObjectAsync(bucket, "intact"))!;
        var stream = obj.Streams.Single();
        var path = BlobPath(stream.BlobId);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length - 40] ^= 0x80;
        await File.WriteAllBytesAsync(path, bytes);
        var forged = Convert.ToHexStringLower(XxHash128.Hash(bytes));
        await using (var db = new SqliteConnection($"Data Source={new DataFolder(f.DataDirectory).DatabasePath}"))
        {
            await db.OpenAsync();
            await using var update = db.CreateCommand();
            update.CommandText = "UPDATE objects SET streams = replace(streams, $old, $new) WHERE bucket = $bucket AND object_key = 'intact';";
            update.Parameters.AddWithValue("$old", stream.BlobChecksum);
            update.Parameters.AddWithValue("$new", forged);
            update.Parameters.AddWithValue("$bucket", bucket);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        (await f.RunAsync("admin", "scrub", "--bucket", bucket, "--data", f.DataDirectory, "--restart")).Ok();
        var output = Damaged(await f.RunAsync("admin", "scrub", "--bucket", bucket, "--deep", "--restart", "--data", f.DataDirectory));
        Assert.Contains($"DAMAGED {bucket}/intact (version null): decryption failed", output);
        Assert.DoesNotContain($"{bucket}/intact-ssec", output);
        Assert.Contains("1 damaged", output);
    }

    [Fact]
    public async Task Bad_arguments_and_missing_things_are_refused_plainly()
    {
        Assert.Contains("--rate must be more than 0", (await f.RunAsync("admin", "scrub", "--rate", "0", "--data", f.DataDirectory)).Fails(2));
        Assert.Contains("does not exist", (await f.RunAsync("admin", "scrub", "--bucket", "no-such-" + Guid.NewGuid().ToString("N")[..8], "--data", f.DataDirectory)).Fails(1));
        var empty = Path.Combine(f.WorkDirectory, "empty-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(empty);
        Assert.Contains("no metadata database", (await f.RunAsync("admin", "scrub", "--data", empty)).Fails(1));
        Assert.False(File.Exists(Path.Combine(empty, "meta.db")), "a scrub must not create a database where there was none");
        // --deep needs the root key: a folder without one, over the server's own database, is refused before reading anything.
        var database = new DataFolder(f.DataDirectory).DatabasePath;
        var noKey = await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_ROOT_KEY"] = null },
            "admin", "scrub", "--deep", "--data", empty, "--metadata", "sqlite:" + database);
        Assert.Contains("--deep needs the root key", noKey.Fails(1));
        var bucket = await f.CreateBucketAsync("scrub");
        Assert.Contains("has run yet", (await f.RunAsync("admin", "scrub", "--bucket", bucket, "--status", "--data", f.DataDirectory)).Fails(1));
    }
}
