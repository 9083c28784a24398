using System.Runtime.Versioning;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// The data folder (metadata database, blobs, root key, TLS key, KMS audit log) is readable by
/// the server's user only: folders 0700 and files 0600 from creation, and an older, looser
/// folder is closed at start with one log line. Each test runs a server of its own.
/// </summary>
public sealed class DataFolderPermissionTests
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Open755 = Folder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode Open644 = File600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public async Task A_fresh_data_folder_has_only_owner_only_folders_and_files()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var f = new CofferFixture();
        await f.InitializeAsync();
        try
        {
            await WriteSomethingOfEveryKindAsync(f);

            var entries = Entries(f.DataDirectory);
            foreach (var expected in new[] { "meta.db", "meta.db-wal", "meta.db-shm", "root.key", "tls/cert.pem", "tls/key.pem" })
                Assert.Contains(Path.Combine(f.DataDirectory, expected), entries.Keys);
            Assert.Contains(entries.Keys, p => p.StartsWith(Path.Combine(f.DataDirectory, "audit", "kms-"), StringComparison.Ordinal));
            Assert.True(entries.Keys.Count(p => p.StartsWith(Path.Combine(f.DataDirectory, "blobs") + "/", StringComparison.Ordinal) && File.Exists(p)) >= 3,
                "a plain object, an SSE-KMS object and a part each have a blob");

            Assert.Equal(Folder, File.GetUnixFileMode(f.DataDirectory));
            await f.Server.DataFolderRestricted;
            var open = entries.Where(e => e.Value != (Directory.Exists(e.Key) ? Folder : File600)).Select(e => $"{e.Key}: {e.Value}").ToList();
            Assert.Empty(open);
            Assert.DoesNotContain(f.Log.Lines, l => l.Contains("owner-only", StringComparison.Ordinal));
        }
        finally
        {
            await f.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_existing_folder_open_to_others_is_tightened_at_start_with_one_log_line()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var loosen = false;
        var loosened = 0;
        var f = new CofferFixture
        {
            // Runs just before each start: the second start finds the folder as an older version left it.
            Configure = o =>
            {
                if (loosen && !OperatingSystem.IsWindows())
                    loosened = Loosen(o.DataDirectory);
            },
        };
        await f.InitializeAsync();
        try
        {
            await WriteSomethingOfEveryKindAsync(f);
            loosen = true;
            await f.RestartAsync();
            // The folder itself is closed before the server serves; the walk of every entry follows in the background.
            Assert.Equal(Folder, File.GetUnixFileMode(f.DataDirectory));
            await f.Server.DataFolderRestricted;

            Assert.True(loosened > 10, $"the folder had {loosened} entries to loosen");
            var lines = f.Log.Lines.Where(l => l.Contains("owner-only", StringComparison.Ordinal)).ToList();
            var line = Assert.Single(lines);
            Assert.StartsWith("Warning ", line, StringComparison.Ordinal);
            Assert.Contains($"made {loosened} entries owner-only (folders 0700, files 0600)", line, StringComparison.Ordinal);
            Assert.Contains(f.DataDirectory, line, StringComparison.Ordinal);

            Assert.Equal(Folder, File.GetUnixFileMode(f.DataDirectory));
            var open = Entries(f.DataDirectory).Where(e => e.Value != (Directory.Exists(e.Key) ? Folder : File600)).Select(e => $"{e.Key}: {e.Value}").ToList();
            Assert.Empty(open);

            // And the server still reads what it stored.
            using var s3 = Clients.S3(f, https: true);
            using var got = await s3.GetObjectAsync("perm", "plain");
            using var reader = new StreamReader(got.ResponseStream);
            Assert.Equal(new string('p', 100_000), await reader.ReadToEndAsync());
        }
        finally
        {
            await f.DisposeAsync();
        }
    }

    /// <summary>A plain object, an SSE-KMS object (a KMS audit entry) and an uploaded part, so every kind of file exists.</summary>
    private static async Task WriteSomethingOfEveryKindAsync(CofferFixture f)
    {
        using var s3 = Clients.S3(f, https: true);
        await s3.PutBucketAsync("perm");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "perm", Key = "plain", ContentBody = new string('p', 100_000) });
        var cmk = await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "perm");
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "perm",
            Key = "kms",
            ContentBody = new string('k', 100_000),   // past the inline limit: a blob
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = cmk.KeyId,
        });
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = "perm", Key = "mp" });
        await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = "perm",
            Key = "mp",
            UploadId = init.UploadId,
            PartNumber = 1,
            InputStream = new MemoryStream(new byte[1000]),
        });
    }

    /// <summary>Every entry under <paramref name="root"/> (symbolic links included, not followed) and its mode.</summary>
    [UnsupportedOSPlatform("windows")]
    private static Dictionary<string, UnixFileMode> Entries(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .ToDictionary(p => p, File.GetUnixFileMode);

    /// <summary>Gives the folder what older versions gave it (folders 0755, files 0644); returns how many entries, root included.</summary>
    [UnsupportedOSPlatform("windows")]
    private static int Loosen(string root)
    {
        File.SetUnixFileMode(root, Open755);
        var count = 1;
        foreach (var (path, _) in Entries(root))
        {
            File.SetUnixFileMode(path, Directory.Exists(path) ? Open755 : Open644);
            count++;
        }
        return count;
    }
}
