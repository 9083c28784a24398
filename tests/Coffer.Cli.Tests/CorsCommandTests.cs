using System.Net;
using System.Net.Security;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer cors set|get|rm, and coffer presign --post, against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class CorsCommandTests(CliServerFixture f)
{
    [Fact]
    public async Task Cors_set_get_as_xml_set_that_back_and_rm()
    {
        var bucket = await f.CreateBucketAsync("cors");
        Assert.Contains("NoSuchCORSConfiguration", (await f.RunAsync("cors", "get", $"cos://{bucket}")).Fails(3));

        var file = f.NewPath("cors.xml");
        await File.WriteAllTextAsync(file, """
            <CORSConfiguration><CORSRule><ID>app</ID><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>POST</AllowedMethod>
            <ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>
            """);
        Assert.Equal($"cors: cos://{bucket} has 1 rule(s) now", (await f.RunAsync("cors", "set", $"cos://{bucket}", file)).Ok().Stdout.Trim());
        var xml = (await f.RunAsync("cors", "get", $"cos://{bucket}")).Ok().Stdout;
        Assert.Contains("<AllowedOrigin>https://app.example.com</AllowedOrigin>", xml);
        var rules = (await f.RunAsync("cors", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal("app", rules.Single().GetProperty("id").GetString());

        (await f.RunAsync("cors", "rm", $"cos://{bucket}")).Ok();
        (await f.RunAsync("cors", "get", $"cos://{bucket}")).Fails(3);
        await File.WriteAllTextAsync(file, xml);
        (await f.RunAsync("cors", "set", $"cos://{bucket}", file)).Ok();

        await File.WriteAllTextAsync(file, "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>");
        Assert.Contains("Unsupported method is PATCH", (await f.RunAsync("cors", "set", $"cos://{bucket}", file)).Fails(1));
        await File.WriteAllTextAsync(file, "not xml");
        (await f.RunAsync("cors", "set", $"cos://{bucket}", file)).Fails(2);
        (await f.RunAsync("cors", "get", $"cos://{bucket}/key")).Fails(2);
    }

    [Fact]
    public async Task Presign_post_prints_a_form_a_browser_can_post_within_its_limits()
    {
        var bucket = await f.CreateBucketAsync("form");
        var json = (await f.RunAsync("presign", "--post", $"cos://{bucket}/inbox/", "--max-size", "10", "--expires", "5m", "--json")).Ok().Json;
        var url = json.GetProperty("url").GetString()!;
        var fields = json.GetProperty("fields").EnumerateArray().Select(x => KeyValuePair.Create(x.GetProperty("name").GetString()!, x.GetProperty("value").GetString()!)).ToList();
        Assert.Contains(fields, x => x.Key == "key" && x.Value == "inbox/${filename}");

        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || certificate?.Thumbprint == f.Server.Certificate!.Thumbprint,
        };
        using var http = new HttpClient(handler);
        MultipartFormDataContent Form(string text)
        {
            var content = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
                content.Add(new StringContent(value), name);
            content.Add(new StringContent(text), "file", "a.txt");
            return content;
        }
        using (var ok = await http.PostAsync(url, Form("small")))
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        Assert.Equal("small", (await f.RunAsync("cat", $"cos://{bucket}/inbox/a.txt")).Ok().Stdout);
        using (var large = await http.PostAsync(url, Form("more than ten bytes")))
            Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);

        var text = (await f.RunAsync("presign", "--post", $"cos://{bucket}/one.txt")).Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(url, text[0]);
        Assert.Contains("key=one.txt", text);
        Assert.Contains("--post only", (await f.RunAsync("presign", $"cos://{bucket}/x", "--max-size", "5")).Fails(2));
    }
}
