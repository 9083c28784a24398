using System.Text;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>
/// The COS guide "使用服务端加密" (server-side encryption), every flow from the command line alone: SSE-COS, SSE-KMS with
/// key id and context, SSE-C put/get/head, large uploads and downloads (upload_file/download_file), SSE-C to SSE-C copy
/// with a new key, and restore of an archived SSE-C object (Days 1, Expedited).
/// </summary>
[Collection(TransferServerCollection.Name)]
public sealed class SseGuideTests(CliServerFixture f)
{
    private const long LargeSize = 64L * 1024 * 1024;

    private string TextFile(string content)
    {
        var path = f.NewPath("guide");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Put_and_get_with_sse_cos_AES256()
    {
        var bucket = await f.CreateBucketAsync("ssecos");
        (await f.RunAsync("cp", TextFile("123"), $"cos://{bucket}/sdk-sse-cos", "--sse", "AES256")).Ok();

        var head = (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-cos", "--json")).Ok().Json.GetProperty("encryption");
        Assert.Equal("SSE-COS", head.GetProperty("mode").GetString());
        Assert.Equal("AES256", head.GetProperty("serverSideEncryption").GetString());
        // No encryption flags to read: the server decrypts.
        Assert.Equal("123", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-cos")).Ok().Stdout);
    }

    [Fact]
    public async Task Put_and_get_with_sse_kms_a_key_id_and_a_context()
    {
        var bucket = await f.CreateBucketAsync("ssekms");
        var keyId = (await f.RunAsync("kms", "create-key", "--description", "guide", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        (await f.RunAsync("cp", TextFile("123"), $"cos://{bucket}/sdk-sse-kms", "--sse", "cos/kms", "--sse-kms-key-id", keyId, "--sse-context", "{\"test\":\"test\"}")).Ok();

        var head = (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-kms", "--json")).Ok().Json.GetProperty("encryption");
        Assert.Equal("SSE-KMS", head.GetProperty("mode").GetString());
        Assert.Equal("cos/kms", head.GetProperty("serverSideEncryption").GetString());
        Assert.Equal(keyId, head.GetProperty("kmsKeyId").GetString());
        Assert.Equal("{\"test\":\"test\"}", head.GetProperty("kmsContext").GetString());
        var text = (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-kms")).Ok().Stdout;
        Assert.Matches(@"(?m)^KMS context\s+\{""test"":""test""\}$", text);
        Assert.Equal("123", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-kms")).Ok().Stdout);

        // Without a key id: the default KMS key.
        (await f.RunAsync("cp", TextFile("456"), $"cos://{bucket}/default-key", "--sse", "cos/kms")).Ok();
        Assert.Equal("SSE-KMS", (await f.RunAsync("stat", $"cos://{bucket}/default-key", "--json")).Ok().Json.GetProperty("encryption").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Put_get_and_head_with_sse_c()
    {
        var bucket = await f.CreateBucketAsync("ssec");
        (await f.RunAsync("cp", TextFile("00000"), $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok();

        var head = (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1, "--json")).Ok().Json.GetProperty("encryption");
        Assert.Equal("SSE-C", head.GetProperty("mode").GetString());
        Assert.Equal("AES256", head.GetProperty("customerAlgorithm").GetString());
        Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(SseKeys.Secret1))), head.GetProperty("customerKeyMd5").GetString());
        Assert.Equal("00000", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok().Stdout);

        // The same key from a raw 32-byte file.
        var keyFile = SseKeys.WriteKeyFile(f.WorkDirectory, SseKeys.Secret1);
        Assert.Equal("00000", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", "@" + keyFile)).Ok().Stdout);

        // Without the key, or with another one, nothing is read; each says what to pass.
        Assert.Contains("--sse-c-key", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c")).Fails(1));
        Assert.Contains("--sse-c-key", (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-c")).Fails(1));
        Assert.Contains("--sse-c-key", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key2)).Fails(4));
    }

    [Theory]
    [InlineData("sse-c")]
    [InlineData("sse-kms")]
    public async Task A_large_file_uploads_in_parts_and_downloads_back_intact(string mode)
    {
        var bucket = await f.CreateBucketAsync("large");
        var file = f.RandomFile(LargeSize, "large");
        var keyFile = SseKeys.WriteKeyFile(f.WorkDirectory, SseKeys.Secret1);
        string[] write = mode == "sse-c" ? ["--sse-c-key", "@" + keyFile] : ["--sse", "cos/kms"];
        string[] read = mode == "sse-c" ? ["--sse-c-key", "@" + keyFile] : [];

        var up = (await f.RunAsync(["cp", file, $"cos://{bucket}/sdk-{mode}", "--json", .. write])).Ok().Json.GetProperty("transfers")[0];
        Assert.True(up.GetProperty("multipart").GetBoolean());
        Assert.Equal(8, up.GetProperty("parts").GetInt32());
        Assert.Equal(LargeSize, up.GetProperty("bytes").GetInt64());

        var stat = (await f.RunAsync(["stat", $"cos://{bucket}/sdk-{mode}", "--json", .. read])).Ok().Json;
        Assert.Equal(mode == "sse-c" ? "SSE-C" : "SSE-KMS", stat.GetProperty("encryption").GetProperty("mode").GetString());
        Assert.Equal(LargeSize, stat.GetProperty("size").GetInt64());

        var back = f.NewPath("large-back");
        var down = (await f.RunAsync(["cp", $"cos://{bucket}/sdk-{mode}", back, .. read])).Ok();
        Assert.Equal($"download: cos://{bucket}/sdk-{mode} to {back}", down.Stdout.Trim());
        Assert.Equal(CliServerFixture.Sha256(file), CliServerFixture.Sha256(back));
        File.Delete(file);
        File.Delete(back);
        (await f.RunAsync("rb", "--force", $"cos://{bucket}")).Ok();
    }

    [Fact]
    public async Task Copy_sse_c_to_sse_c_with_a_new_key()
    {
        var bucket = await f.CreateBucketAsync("ssecopy");
        (await f.RunAsync("cp", TextFile("00000"), $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok();

        var copy = (await f.RunAsync("cp", $"cos://{bucket}/sdk-sse-c", $"cos://{bucket}/sdk-sse-c-copy",
            "--copy-source-sse-c-key", SseKeys.Key1, "--sse-c-key", SseKeys.Key2)).Ok();
        Assert.Equal($"copy: cos://{bucket}/sdk-sse-c to cos://{bucket}/sdk-sse-c-copy", copy.Stdout.Trim());

        Assert.Equal("00000", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c-copy", "--sse-c-key", SseKeys.Key2)).Ok().Stdout);
        (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c-copy", "--sse-c-key", SseKeys.Key1)).Fails(4);
        // The source keeps its own key.
        Assert.Equal("00000", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok().Stdout);
        // Without the source's key the copy is refused.
        (await f.RunAsync("cp", $"cos://{bucket}/sdk-sse-c", $"cos://{bucket}/other", "--sse-c-key", SseKeys.Key2)).Fails(1);
    }

    [Fact]
    public async Task Restore_of_an_archived_sse_c_object_with_days_1_expedited()
    {
        var bucket = await f.CreateBucketAsync("restore");
        (await f.RunAsync("cp", TextFile("archived"), $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1, "--storage-class", "ARCHIVE")).Ok();
        Assert.Equal("ARCHIVE", (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1, "--json")).Ok().Json.GetProperty("storageClass").GetString());

        var refused = (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Fails(1);
        Assert.Contains("InvalidObjectState", refused);
        Assert.Contains($"coffer restore cos://{bucket}/sdk-sse-c", refused);

        var restore = (await f.RunAsync("restore", $"cos://{bucket}/sdk-sse-c", "--days", "1", "--tier", "Expedited", "--sse-c-key", SseKeys.Key1, "--wait", "--json")).Ok().Json;
        Assert.Equal("accepted", restore.GetProperty("status").GetString());
        Assert.True(restore.GetProperty("restored").GetBoolean());

        Assert.Equal("archived", (await f.RunAsync("cat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok().Stdout);
        var stat = (await f.RunAsync("stat", $"cos://{bucket}/sdk-sse-c", "--sse-c-key", SseKeys.Key1)).Ok().Stdout;
        Assert.Matches(@"(?m)^Restore\s+restored until ", stat);
    }
}
