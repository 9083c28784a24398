using Coffer.Sdk.Tests.Infrastructure;
using SseGuide;

namespace Coffer.Sdk.Tests;

/// <summary>Runs the SseGuide sample's steps in-process against the test server; every step must pass.</summary>
[Collection(ServerCollection.Name)]
public sealed class SampleTests(ServerFixture fixture)
{
    [Theory]
    [InlineData("cos", false)]
    [InlineData("v4", true)]
    public async Task The_sse_guide_sample_passes_every_step(string signature, bool pathStyle)
    {
        var args = new List<string>
        {
            "--endpoint", fixture.HttpsUrl.ToString().TrimEnd('/'), "--secret-id", ServerFixture.AccessKey, "--secret-key", ServerFixture.SecretKey,
            "--ca", fixture.Server.CertificatePath!, "--region", ServerFixture.Region, "--signature", signature,
        };
        if (pathStyle)
        {
            args.Add("--path-style");
        }

        var output = new StringWriter();
        var (passed, failed) = await new Guide(GuideOptions.Parse([.. args])!, output).RunAsync();
        string text = output.ToString();
        Assert.True(failed == 0, text);
        Assert.True(passed >= 18, text);
        Assert.EndsWith($"{passed} passed, 0 failed", text.TrimEnd());
    }

    [Fact]
    public void The_sample_refuses_incomplete_arguments()
    {
        Assert.Throws<ArgumentException>(() => GuideOptions.Parse(["--endpoint", "https://127.0.0.1:1"]));
        Assert.Null(GuideOptions.Parse(["--help"]));
    }
}
