using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Amazon.S3;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>`coffer admin user …` run as the real binary against the data folder of a running server.</summary>
[Collection(CofferCollection.Name)]
public sealed class AdminCliTests(CofferFixture f)
{
    private async Task<(int Code, string Out, string Err)> CofferAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "coffer.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task A_name_removed_and_added_again_is_a_new_user_that_owns_none_of_the_old_buckets()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..8];
        async Task<(string Ak, string Sk)> AddAsync()
        {
            var added = await CofferAsync("admin", "user", "add", name, "--data", f.DataDirectory, "--json");
            Assert.True(added.Code == 0, added.Err);
            var json = JsonDocument.Parse(added.Out).RootElement;
            return (json.GetProperty("accessKeyId").GetString()!, json.GetProperty("secretKey").GetString()!);
        }

        string IdOf(string listJson) => JsonDocument.Parse(listJson).RootElement.EnumerateArray()
            .Single(u => u.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

        var (ak, sk) = await AddAsync();
        var oldId = IdOf((await CofferAsync("admin", "user", "list", "--data", f.DataDirectory, "--json")).Out);
        var bucket = CofferFixture.NewBucket("readd");
        using (var s3 = Clients.S3(f, accessKey: ak, secretKey: sk))
        {
            await s3.PutBucketAsync(bucket);
            await s3.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "the old user's" });
        }

        var removed = await CofferAsync("admin", "user", "remove", name, "--data", f.DataDirectory);
        Assert.True(removed.Code == 0, removed.Err);
        var (ak2, sk2) = await AddAsync();
        var newId = IdOf((await CofferAsync("admin", "user", "list", "--data", f.DataDirectory, "--json")).Out);
        Assert.NotEqual(oldId, newId);

        using var again = Clients.S3(f, accessKey: ak2, secretKey: sk2);
        Assert.Empty((await again.ListBucketsAsync()).Buckets ?? []);
        var denied = await Assert.ThrowsAsync<AmazonS3Exception>(() => again.GetObjectAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("AccessDenied", denied.ErrorCode);
    }

    [Fact]
    public async Task A_user_added_while_the_server_runs_can_sign_requests_and_stops_working_when_removed()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var added = await CofferAsync("admin", "user", "add", name, "--data", f.DataDirectory, "--json");
        Assert.True(added.Code == 0, added.Err);
        var json = JsonDocument.Parse(added.Out).RootElement;
        var ak = json.GetProperty("accessKeyId").GetString()!;
        var sk = json.GetProperty("secretKey").GetString()!;

        using (var s3 = Clients.S3(f, accessKey: ak, secretKey: sk))
        {
            var buckets = await s3.ListBucketsAsync();
            Assert.Empty(buckets.Buckets ?? []);
        }

        var list = await CofferAsync("admin", "user", "list", "--data", f.DataDirectory, "--json");
        Assert.Contains(ak, list.Out);
        Assert.DoesNotContain(sk, list.Out);

        var again = await CofferAsync("admin", "user", "add", name, "--data", f.DataDirectory);
        Assert.NotEqual(0, again.Code);
        Assert.Contains("exists", again.Err);

        var removed = await CofferAsync("admin", "user", "remove", name, "--data", f.DataDirectory);
        Assert.True(removed.Code == 0, removed.Err);
        // The server re-reads credentials every 2 s; allow for a loaded machine.
        using var gone = Clients.S3(f, accessKey: ak, secretKey: sk);
        AmazonS3Exception? refused = null;
        for (var i = 0; i < 40 && refused is null; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            try { await gone.ListBucketsAsync(); }
            catch (AmazonS3Exception e) { refused = e; }
        }
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);

        var missing = await CofferAsync("admin", "user", "remove", name, "--data", f.DataDirectory);
        Assert.Equal(3, missing.Code);
    }

    [Fact]
    public async Task Session_tokens_from_the_cli_work_against_the_server()
    {
        var issued = await CofferAsync("admin", "user", "token", "root", "--duration", "600", "--data", f.DataDirectory, "--json");
        Assert.True(issued.Code == 0, issued.Err);
        var json = JsonDocument.Parse(issued.Out).RootElement;
        using var cos = new CosRawClient(f, https: true, json.GetProperty("tmpSecretId").GetString(), json.GetProperty("tmpSecretKey").GetString());
        var response = await cos.SendAsync(HttpMethod.Put, CosRawClient.NewBucket(), headers: [new("x-cos-security-token", json.GetProperty("sessionToken").GetString()!)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var badDuration = await CofferAsync("admin", "user", "token", "root", "--duration", "5", "--data", f.DataDirectory);
        Assert.Equal(2, badDuration.Code);
    }

    [Fact]
    public async Task Serve_refuses_bad_flags_with_a_clear_message()
    {
        var result = await CofferAsync("serve", "--data", Path.Combine(Path.GetTempPath(), "coffer-bad-" + Guid.NewGuid().ToString("N")), "--http", "not-an-endpoint", "--https", "none");
        Assert.NotEqual(0, result.Code);
        Assert.Contains("--http takes ADDR:PORT", result.Err);
    }
}
