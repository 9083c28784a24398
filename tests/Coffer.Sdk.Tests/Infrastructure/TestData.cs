namespace Coffer.Sdk.Tests.Infrastructure;

/// <summary>Random test files and the SSE settings every transfer test runs through.</summary>
public static class TestData
{
    public const int MiB = 1024 * 1024;

    public static byte[] Bytes(int length, int seed = 0)
    {
        var data = new byte[length];
        new Random(seed == 0 ? length : seed).NextBytes(data);
        return data;
    }

    public static async Task<(string Path, byte[] Data)> FileAsync(ServerFixture fixture, int length, int seed = 0)
    {
        var data = Bytes(length, seed);
        string path = fixture.NewPath();
        await File.WriteAllBytesAsync(path, data);
        return (path, data);
    }

    /// <summary>The encryption modes: none, SSE-COS, SSE-KMS (default key), SSE-C.</summary>
    public static TheoryData<string> SseModes => new() { "none", "cos", "kms", "c" };

    public static readonly SseCustomer KeyA = Sse.Customer("01234567890123456789012345678901");
    public static readonly SseCustomer KeyB = Sse.Customer("01234567890123456789012345678902");

    public static Sse? Mode(string mode) => mode switch
    {
        "none" => null,
        "cos" => Sse.Cos(),
        "kms" => Sse.Kms(null, new Dictionary<string, string> { ["purpose"] = "test" }),
        "c" => KeyA,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>The key to read an object written in <paramref name="mode"/>.</summary>
    public static SseCustomer? ReadKey(string mode) => mode == "c" ? KeyA : null;

    public static async Task<byte[]> ReadAsync(CosClient client, string bucket, string key, SseCustomer? customer = null)
    {
        await using var get = await client.GetObjectAsync(bucket, key, customer);
        return await get.ReadAsBytesAsync();
    }
}
