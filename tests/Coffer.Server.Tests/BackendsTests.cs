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
    [InlineData("postgresql://coffer:hunter2secret@127.0.0.1:1/coffer", "postgresql://127.0.0.1:1/coffer")]
    [InlineData("postgres://coffer:hunter2secret@127.0.0.1:1/coffer", "postgres://127.0.0.1:1/coffer")]
    [InlineData("Host=127.0.0.1;Port=1;Username=coffer;Password=hunter2secret;Database=coffer", "127.0.0.1:1/coffer")]
    public async Task PostgreSQL_is_opened_and_an_unreachable_server_is_one_error_without_credentials(string spec, string described)
    {
        Assert.Equal(Backends.MetadataKind.Postgres, Backends.ParseMetadata(spec, _folder).Kind);
        Assert.False(Backends.IsSingleNode(spec, _folder));
        Assert.Equal("PostgreSQL " + described, Backends.DescribeMetadata(spec, _folder));
        // Port 1 refuses the connection: the open is attempted, and its failure names the server only.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Backends.OpenMetadataAsync(spec, _folder));
        Assert.StartsWith($"The PostgreSQL metadata database ({described}) cannot be used: ", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_malformed_PostgreSQL_uri_is_refused_as_bad_input()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Backends.OpenMetadataAsync("postgresql://coffer:hunter2secret@[bad/coffer", _folder));
        Assert.DoesNotContain("hunter2", e.Message);
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
    public async Task The_server_refuses_to_start_on_an_unreachable_database_without_echoing_its_password()
    {
        var options = new CofferServerOptions
        {
            DataDirectory = _folder.Root,
            HttpEndpoint = "127.0.0.1:0",
            HttpsEndpoint = null,
            ConsoleLog = false,
            Metadata = "postgresql://coffer:hunter2secret@127.0.0.1:1/coffer",
        };
        var unreachable = await Assert.ThrowsAsync<InvalidOperationException>(() => CofferServer.StartAsync(options));
        Assert.Contains("PostgreSQL metadata database (postgresql://127.0.0.1:1/coffer)", unreachable.Message);
        Assert.DoesNotContain("hunter2", unreachable.Message);

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
