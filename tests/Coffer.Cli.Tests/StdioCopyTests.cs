using System.Security.Cryptography;
using System.Text;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>
/// <c>coffer cp - cos://B/K</c> from standard input (one PUT when short, parts when long), <c>coffer cp cos://B/K -</c> to
/// standard output, and SSE-C key files holding the raw key or its base64 text.
/// </summary>
[Collection(TransferServerCollection.Name)]
public sealed class StdioCopyTests(CliServerFixture f)
{
    [Fact]
    public async Task A_short_stream_from_standard_input_is_one_put_and_comes_back_on_standard_output()
    {
        var bucket = await f.CreateBucketAsync("stdin");
        var data = RandomNumberGenerator.GetBytes(1000);

        var put = (await CofferProcess.RunWithInputAsync(f.Env(), ["cp", "-", $"cos://{bucket}/short.bin", "--json"], data, f.WorkDirectory)).Ok();
        var transfer = put.Json.GetProperty("transfers")[0];
        Assert.Equal(1000, transfer.GetProperty("bytes").GetInt64());
        Assert.False(transfer.GetProperty("multipart").GetBoolean());

        var get = (await f.RunAsync("cp", $"cos://{bucket}/short.bin", "-")).Ok();
        Assert.Equal(data, get.StdoutBytes);
        Assert.Empty(get.Stderr);
    }

    [Fact]
    public async Task A_long_stream_from_standard_input_goes_up_in_parts_and_reads_back_whole()
    {
        var bucket = await f.CreateBucketAsync("stdin-parts");
        var data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 123_456);

        var put = (await CofferProcess.RunWithInputAsync(f.Env(),
            ["cp", "-", $"cos://{bucket}/long.bin", "--multipart-threshold", "1MiB", "--part-size", "1MiB", "--sse", "AES256", "--json"], data, f.WorkDirectory)).Ok();
        var transfer = put.Json.GetProperty("transfers")[0];
        Assert.True(transfer.GetProperty("multipart").GetBoolean());
        Assert.Equal(3, transfer.GetProperty("parts").GetInt32());
        Assert.Equal(data.Length, transfer.GetProperty("bytes").GetInt64());

        Assert.Equal(data, (await f.RunAsync("cp", $"cos://{bucket}/long.bin", "-")).Ok().StdoutBytes);
        var stat = (await f.RunAsync("stat", $"cos://{bucket}/long.bin", "--json")).Ok().Json;
        Assert.Equal(data.Length, stat.GetProperty("size").GetInt64());
        Assert.EndsWith("-3", stat.GetProperty("etag").GetString()!.Trim('"'));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("")]
    [InlineData("\r\n")]
    public async Task An_sse_c_key_file_may_hold_the_base64_text_with_or_without_a_trailing_newline(string ending)
    {
        var bucket = await f.CreateBucketAsync("keyfile");
        var keyText = f.NewPath("key") + ".txt";
        await File.WriteAllTextAsync(keyText, SseKeys.Key1 + ending);
        var keyRaw = SseKeys.WriteKeyFile(f.WorkDirectory, SseKeys.Secret1);
        var data = Encoding.UTF8.GetBytes("encrypted with a key from a file " + Guid.NewGuid());

        (await CofferProcess.RunWithInputAsync(f.Env(), ["cp", "-", $"cos://{bucket}/k", "--sse-c-key", "@" + keyText], data, f.WorkDirectory)).Ok();

        // The same key, given raw, as base64 on the command line, and from the text file, opens it; another key does not.
        Assert.Equal(data, (await f.RunAsync("cp", $"cos://{bucket}/k", "-", "--sse-c-key", "@" + keyRaw)).Ok().StdoutBytes);
        Assert.Equal(data, (await f.RunAsync("cat", $"cos://{bucket}/k", "--sse-c-key", SseKeys.Key1)).Ok().StdoutBytes);
        Assert.Equal(data, (await f.RunAsync("cat", $"cos://{bucket}/k", "--sse-c-key", "@" + keyText)).Ok().StdoutBytes);
        Assert.StartsWith("coffer: AccessDenied:", (await f.RunAsync("cat", $"cos://{bucket}/k", "--sse-c-key", SseKeys.Key2)).Fails(4));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(45)]
    public async Task A_key_file_that_is_neither_32_bytes_nor_their_base64_is_a_usage_error(int length)
    {
        var bucket = await f.CreateBucketAsync("badkey");
        var keyFile = f.NewPath("bad-key");
        await File.WriteAllBytesAsync(keyFile, Enumerable.Repeat((byte)'A', length).ToArray());
        var error = (await CofferProcess.RunWithInputAsync(f.Env(), ["cp", "-", $"cos://{bucket}/k", "--sse-c-key", "@" + keyFile], [1, 2, 3], f.WorkDirectory)).Fails(2);
        Assert.Contains($"holds {length} bytes, neither a 32-byte key nor its base64", error);
        Assert.DoesNotContain("AAAA", error);
        (await f.RunAsync("stat", $"cos://{bucket}/k")).Fails(3);   // nothing was written
    }

    [Theory]
    [InlineData("cp", "-", "-")]
    [InlineData("cp", "-", "cos://b/folder/")]
    [InlineData("cp", "-", "./local.bin")]
    [InlineData("cp", "./local.bin", "-")]
    [InlineData("mv", "-", "cos://b/k")]
    [InlineData("mv", "cos://b/k", "-")]
    [InlineData("cp", "-", "cos://b/k", "--recursive")]
    [InlineData("cp", "cos://b/k", "-", "--json")]
    public async Task Impossible_uses_of_dash_are_usage_errors(params string[] args)
    {
        var result = await CofferProcess.RunWithInputAsync(f.Env(), args, [1, 2, 3], f.WorkDirectory);
        var error = result.Fails(2);
        Assert.StartsWith("coffer: ", error);
        Assert.Empty(result.StdoutBytes);
    }
}
