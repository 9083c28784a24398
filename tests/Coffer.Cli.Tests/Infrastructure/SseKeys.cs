using System.Text;

namespace Coffer.Cli.Tests.Infrastructure;

/// <summary>The SSE-C keys of the COS guide: 32-character strings, base64-encoded as the guide does.</summary>
public static class SseKeys
{
    /// <summary>The guide's ssec_secret '00000000000000000000000000000001'.</summary>
    public const string Secret1 = "00000000000000000000000000000001";

    /// <summary>The guide's dest_ssec_secret '00000000000000000000000000000002'.</summary>
    public const string Secret2 = "00000000000000000000000000000002";

    public static string Key1 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret1));

    public static string Key2 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret2));

    /// <summary>A raw 32-byte key file (for --sse-c-key @FILE) holding <paramref name="secret"/>.</summary>
    public static string WriteKeyFile(string directory, string secret)
    {
        var path = Path.Combine(directory, $"key-{Guid.NewGuid().ToString("N")[..8]}.bin");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(secret));
        return path;
    }
}
