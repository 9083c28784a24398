using Coffer.Server.Hosting;
using Coffer.Storage;

namespace Coffer.Server.Tests;

/// <summary>The composition root: which spec opens which backend, and what it says when it cannot.</summary>
public sealed class BackendsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "coffer-backends-tests", Guid.NewGuid().ToString("N"));
    private readonly DataFolder _folder;

    public BackendsTests() => _folder = new DataFolder(Path.Combine(_directory, "data"));

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_spec_is_the_embedded_default_in_the_data_folder(string? spec)
    {
        Assert.Equal(new Backends.MetadataSpec(Backends.MetadataKind.Sqlite, _folder.DatabasePath), Backends.ParseMetadata(spec, _folder));
        Assert.Equal(new Backends.BlobSpec(Backends.BlobKind.FileSystem, _folder.BlobRoot), Backends.ParseBlobs(spec, _folder));
        Assert.True(Backends.IsSingleNode(spec, _folder));
    }

    [Fact]
    public void Sqlite_and_file_specs_name_paths_in_both_forms()
    {
        var db = Path.Combine(_directory, "elsewhere", "m.db");
        Assert.Equal(db, Backends.ParseMetadata("sqlite:" + db, _folder).Target);
        Assert.Equal(db, Backends.ParseMetadata("sqlite://" + db, _folder).Target);
        Assert.Equal(db, Backends.ParseMetadata(db, _folder).Target);
        var dir = Path.Combine(_directory, "blobs-elsewhere");
        Assert.Equal(dir, Backends.ParseBlobs("file:" + dir, _folder).Target);
        Assert.Equal(dir, Backends.ParseBlobs("file://" + dir, _folder).Target);
        Assert.Equal(new Backends.BlobSpec(Backends.BlobKind.FileSystem, dir), Backends.ParseBlobs(dir, _folder));
    }

    [Fact]
    public async Task The_default_opens_sqlite_in_the_data_folder_and_a_sqlite_spec_opens_that_file()
    {
        await using (var store = await Backends.OpenMetadataAsync(null, _folder))
        {
            Assert.IsType<SqliteMetadataStore>(store);
            Assert.True(File.Exists(_folder.DatabasePath));
        }
        var other = Path.Combine(_directory, "other.db");
        await using (var store = await Backends.OpenMetadataAsync("sqlite:" + other, _folder))
        {
            Assert.Equal(other, ((SqliteMetadataStore)store).DatabasePath);
        }
        var blobs = await Backends.OpenBlobsAsync("file:" + Path.Combine(_directory, "b"), _folder);
        await using (var writer = blobs.CreateWriter())
        {
            await writer.Stream.WriteAsync(new byte[] { 1 });
            await writer.CommitAsync();
        }
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_directory, "b", "blobs"), "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("postgresql://coffer:hunter2secret@db.example:5432/coffer")]
    [InlineData("postgres://coffer:hunter2secret@db.example/coffer")]
    [InlineData("Host=db.example;Username=coffer;Password=hunter2secret;Database=coffer")]
    public async Task PostgreSQL_is_recognised_and_refused_by_this_build_without_echoing_credentials(string spec)
    {
        Assert.Equal(Backends.MetadataKind.Postgres, Backends.ParseMetadata(spec, _folder).Kind);
        Assert.False(Backends.IsSingleNode(spec, _folder));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Backends.OpenMetadataAsync(spec, _folder));
        Assert.Contains("not available in this build", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain("hunter2", Backends.DescribeMetadata(spec, _folder));
    }

    [Fact]
    public async Task S3_without_its_credentials_is_refused_saying_which_variables_to_set()
    {
        const string spec = "s3://coffer-blobs?endpoint=http://127.0.0.1:7480&region=us-east-1";
        Assert.Equal(Backends.BlobKind.S3, Backends.ParseBlobs(spec, _folder).Kind);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Backends.OpenBlobsAsync(spec, _folder, accessKey: "", secretKey: ""));
        Assert.Contains(Backends.BlobsAccessKeyVariable, e.Message);
        Assert.Contains(Backends.BlobsSecretKeyVariable, e.Message);
    }

    [Fact]
    public async Task S3_that_cannot_be_reached_is_found_at_open_without_echoing_the_secret()
    {
        const string spec = "s3://coffer-blobs?endpoint=http://127.0.0.1:1&region=us-east-1";
        var e = await Assert.ThrowsAsync<BlobStoreUnavailableException>(() => Backends.OpenBlobsAsync(spec, _folder, "coffer-test", "hunter2secret-0123456789"));
        Assert.DoesNotContain("hunter2", e.ToString());
        Assert.DoesNotContain("hunter2", Backends.DescribeBlobs(spec, _folder));
    }

    [Fact]
    public void An_unknown_scheme_is_refused_naming_the_scheme_only()
    {
        var metadata = Assert.Throws<ArgumentException>(() => Backends.ParseMetadata("mysql://root:hunter2secret@h/db", _folder));
        Assert.Contains("'mysql:'", metadata.Message);
        Assert.DoesNotContain("hunter2", metadata.Message);
        var blobs = Assert.Throws<ArgumentException>(() => Backends.ParseBlobs("gs://bucket", _folder));
        Assert.Contains("'gs:'", blobs.Message);
    }

    [Fact]
    public async Task The_server_refuses_to_start_on_a_backend_this_build_does_not_have()
    {
        var options = new CofferServerOptions
        {
            DataDirectory = _folder.Root,
            HttpEndpoint = "127.0.0.1:0",
            HttpsEndpoint = null,
            ConsoleLog = false,
            Metadata = "postgresql://coffer:hunter2secret@db.example/coffer",
        };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => CofferServer.StartAsync(options));
        Assert.Contains("PostgreSQL metadata backend", e.Message);

    }

    [Fact]
    public async Task The_server_refuses_to_start_on_s3_without_credentials_and_leaves_the_folder_usable()
    {
        var options = new CofferServerOptions
        {
            DataDirectory = _folder.Root,
            HttpEndpoint = "127.0.0.1:0",
            HttpsEndpoint = null,
            ConsoleLog = false,
            Blobs = "s3://coffer-blobs",
            BlobsAccessKey = "",
            BlobsSecretKey = "",
        };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => CofferServer.StartAsync(options));
        Assert.Contains(Backends.BlobsAccessKeyVariable, e.Message);

        options.Blobs = null;
        await using var server = await CofferServer.StartAsync(options);
        Assert.NotNull(server.HttpUrl);
    }
}
